"""Stripe being unreachable reaches a caller as a 503 problem with Retry-After."""

from __future__ import annotations

from litestar import Litestar, get
from litestar.testing import TestClient

from lml.payments.domain.errors import PaymentProviderUnavailable
from lml.platform.http.problems import exception_handlers


@get("/pay", sync_to_thread=False)
def pay() -> None:
    raise PaymentProviderUnavailable(retry_after=7)


def test_payment_provider_unavailable_is_a_503_problem_telling_when_to_retry() -> None:
    with TestClient(Litestar(route_handlers=[pay], exception_handlers=exception_handlers())) as client:
        response = client.get("/pay")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "7"
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"].endswith("/payment-provider-unavailable")
    assert body["title"] == "Service unavailable"
    assert body["detail"] == "The payment provider cannot be reached right now; try again shortly."
