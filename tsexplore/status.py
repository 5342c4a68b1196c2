"""TensorStore-style status errors.

Internal code raises :class:`StatusError` carrying an absl-like status code.  It *is* a
``ValueError`` because that is what tensorstore raises for most failures (open, read, write,
JSON parsing).  Indexing entry points (``[]``, ``ts.d``, ``oindex``, ``vindex``) convert it to an
``IndexError`` with :func:`indexing_errors`, exactly as tensorstore's ``status.cc`` does.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

__all__ = [
    "StatusError",
    "aborted",
    "already_exists",
    "cancelled",
    "data_loss",
    "failed_precondition",
    "indexing_errors",
    "internal",
    "invalid_argument",
    "invoked_with",
    "not_found",
    "out_of_range",
    "unavailable",
    "unimplemented",
]

# Codes whose prefix tensorstore strips when turning the status into a Python exception.
_STRIPPED = frozenset({"INVALID_ARGUMENT", "UNIMPLEMENTED"})


class StatusError(ValueError):
    """A failure with a status code; ``str()`` gives tensorstore's message text."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(self._text())

    def _text(self) -> str:
        return self.message if self.code in _STRIPPED else f"{self.code}: {self.message}"

    def __str__(self) -> str:
        return self._text()

    def annotate(self, note: str) -> StatusError:
        """Return a copy with ``note`` appended, as tensorstore appends ``[tensorstore_spec=...]``."""
        return type(self)(self.code, f"{self.message} {note}")

    def prefixed(self, context: str) -> StatusError:
        """Return a copy whose message starts with ``context: ``."""
        return type(self)(self.code, f"{context}: {self.message}")


def invalid_argument(message: str) -> StatusError:
    return StatusError("INVALID_ARGUMENT", message)


def out_of_range(message: str) -> StatusError:
    return StatusError("OUT_OF_RANGE", message)


def not_found(message: str) -> StatusError:
    return StatusError("NOT_FOUND", message)


def already_exists(message: str) -> StatusError:
    return StatusError("ALREADY_EXISTS", message)


def failed_precondition(message: str) -> StatusError:
    return StatusError("FAILED_PRECONDITION", message)


def aborted(message: str) -> StatusError:
    return StatusError("ABORTED", message)


def cancelled(message: str) -> StatusError:
    return StatusError("CANCELLED", message)


def data_loss(message: str) -> StatusError:
    return StatusError("DATA_LOSS", message)


def internal(message: str) -> StatusError:
    return StatusError("INTERNAL", message)


def unavailable(message: str) -> StatusError:
    return StatusError("UNAVAILABLE", message)


def unimplemented(message: str) -> NotImplementedError:
    return NotImplementedError(message)


def invoked_with(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """pybind11's ``\nInvoked with: 1, 2; kwargs: a=3`` ending of an incompatible-arguments TypeError."""
    text = ", ".join(repr(a) for a in args)
    if kwargs:
        kw = "kwargs: " + ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
        text = f"{text}; {kw}" if text else kw
    return "\nInvoked with: " + text


@contextlib.contextmanager
def indexing_errors() -> Iterator[None]:
    """Re-raise INVALID_ARGUMENT / OUT_OF_RANGE statuses as ``IndexError`` (tensorstore's indexing rule)."""
    try:
        yield
    except StatusError as e:
        if e.code in ("INVALID_ARGUMENT", "OUT_OF_RANGE"):
            raise IndexError(str(e)) from None
        raise
