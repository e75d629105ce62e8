"""What staff actions raise when they cannot be done as asked. No Flask here."""

from __future__ import annotations


class WorkError(ValueError):
    """The action cannot be done as asked. ``field`` names the form field at fault, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFound(LookupError):
    """The ticket, alert, contractor, survey or user asked for does not exist."""


def required_text(value: str | None, field: str, label: str, max_length: int = 5000) -> str:
    """``value`` stripped.

    Raises:
        WorkError: empty or longer than ``max_length``; names ``field``.
    """
    text = (value or "").strip()
    if not text:
        raise WorkError(f"{label} must not be empty.", field)
    if len(text) > max_length:
        raise WorkError(f"{label} is {len(text)} characters; at most {max_length} fit.", field)
    return text
