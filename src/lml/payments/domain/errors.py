"""What payments refuses, or cannot do right now. Each maps to a problem by its base class."""

from __future__ import annotations

from lml.platform.domain.errors import Conflict, DomainError, InvalidInput, NotFound, Unavailable


class PaymentProviderUnavailable(Unavailable):
    """The payment provider cannot be reached right now; try again shortly."""


class PaymentStillProcessing(Unavailable):
    """The PaymentIntent is processing: whether it succeeds is not known yet; ask again later."""


class PaymentProviderRejected(Conflict):
    """The payment provider refused the request."""


class InvalidWebhookSignature(DomainError):
    """The Stripe-Signature header does not prove that Stripe sent this body."""


class MalformedWebhookEvent(DomainError):
    """The webhook body is not a Stripe event."""


class PaymentIntentMismatch(Conflict):
    """The order already has a PaymentIntent for another amount or currency."""


class NoPaymentToRefund(Conflict):
    """The order has no payment that could be refunded."""


class InvalidRefundAmount(InvalidInput):
    """The refund amount is not positive or exceeds what is left to refund."""


class StripeEventNotFound(NotFound):
    """No Stripe event with this id has been received."""


class StripeEventNotRetryable(Conflict):
    """Only a dead Stripe event can be retried."""
