"""Start the localstripe emulator with its store kept in memory only, and its listings indexed.

localstripe pickles its whole store to a fixed /tmp path on every write: two emulators on one
machine corrupt each other's state, and each write costs more as the store grows.

It also lists a kind of object by scanning every object it holds, and it lists a charge's refunds
three times each time it shows the charge (a PaymentIntent, its confirmation, the webhook's event):
a paid order cost more the more orders the emulator had seen (5.5 ms at 600, 78 ms at 10,000). The
store here keeps each kind's objects apart, in the order they were stored, so a listing reads only
its own kind and returns what the scan returned."""

from typing import Any

from localstripe import resources
from localstripe.server import start

resources.Store.dump_to_disk = lambda self: None
resources.Store.try_load_from_disk = lambda self: None

# "refund" -> {"refund:re_...": Refund, ...}; keys without a kind (the balance) are not listed.
_by_kind: dict[str, dict[str, Any]] = {}


def _kind(key: str) -> str | None:
    kind, colon, _ = key.partition(":")
    return kind if colon else None


def _store_set(self: resources.Store, key: str, value: Any) -> None:
    dict.__setitem__(self, key, value)
    if (kind := _kind(key)) is not None:
        _by_kind.setdefault(kind, {})[key] = value


def _store_delete(self: resources.Store, key: str) -> None:
    dict.__delitem__(self, key)
    if (kind := _kind(key)) is not None:
        del _by_kind[kind][key]


def _store_clear(self: resources.Store) -> None:
    dict.clear(self)
    _by_kind.clear()


def _list_all(cls: Any, /, url: str, limit: Any = None, starting_after: Any = None, **kwargs: Any) -> Any:
    if kwargs:
        raise resources.UserError(400, "Unexpected " + ", ".join(kwargs.keys()))
    listing = resources.List(url, limit=limit, starting_after=starting_after)
    listing._list = list(_by_kind.get(cls.object, {}).values())
    return listing


resources.Store.__setitem__ = _store_set
resources.Store.__delitem__ = _store_delete
resources.Store.clear = _store_clear
resources.StripeObject._api_list_all = classmethod(_list_all)

if __name__ == "__main__":
    start()
