"""Values from a model file, shortened for error messages: a file may hold values of any size."""

from __future__ import annotations

import json


def _jsonable(value):
    """``value`` itself when JSON can write it, else its repr, for a message."""
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)
    return value


def _brief(value) -> str:
    """A JSON value from the file, shortened for a message."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def _quoted(text: str) -> str:
    """``repr(text)`` of a string from the file, shortened for a message."""
    return repr(text) if len(text) <= 40 else repr(text[:37]) + "..."


def _reason(error: Exception) -> str:
    """An error's message, shortened: it may quote a value of any size from the file."""
    text = str(error)
    return text if len(text) <= 300 else text[:297] + "..."
