"""Start the localstripe emulator with its store kept in memory only.

localstripe pickles its whole store to a fixed /tmp path on every write: two emulators on one
machine corrupt each other's state, and each write costs more as the store grows."""

from localstripe import resources
from localstripe.server import start

resources.Store.dump_to_disk = lambda self: None  # type: ignore[method-assign]
resources.Store.try_load_from_disk = lambda self: None  # type: ignore[method-assign]

if __name__ == "__main__":
    start()
