"""JSON from files that nobody vouches for: decoded only when it is plain data of bounded shape.

Python's ``json.loads`` accepts more than a model file may hold: a key twice (the last one wins
silently), nesting deep enough that whatever walks the result next runs out of stack, integers
of thousands of digits, and ``"\\ud800"``, a lone surrogate that no UTF-8 output can print.
``loads`` refuses each of them with a ``ValueError`` saying what it found; the caller adds which
file and which field. The checks run on the text at the speed of the regular-expression engine,
so a large file costs about what decoding it costs.
"""

from __future__ import annotations

import json
import re

# glassnet's own JSON nests at most four deep (config -> layers -> layer -> activation); this
# leaves room for any sane extension and none for a stack-exhausting bomb.
MAX_DEPTH = 32
_TOO_DEEP = f"JSON nested too deeply (more than {MAX_DEPTH} levels)"

# In valid JSON: a string, or a run of anything but brackets and quotes (numbers, commas...).
_NOT_A_BRACKET = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[^\[\]{}"]+')
# A container with nothing but scalars left inside: one level of nesting, removed per pass.
_INNERMOST = re.compile(r"\{\}|\[\]")
# The escape of a surrogate code point (\ud800 to \udfff); a pair of them is one character.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def loads(text: str):
    """Decode the JSON ``text``, refusing duplicate keys, nesting deeper than ``MAX_DEPTH``,
    integers too long to convert and strings that are not valid Unicode (lone surrogates)."""
    _check_text(text)
    try:
        value = json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as error:
        raise ValueError(
            f"invalid JSON at line {error.lineno} column {error.colno} ({error.msg})"
        ) from None
    except RecursionError:
        raise ValueError(_TOO_DEEP) from None
    except ValueError as error:  # a key twice, or an integer of more digits than Python converts
        raise ValueError(str(error)) from None
    if not _depth_at_most(text, MAX_DEPTH):
        raise ValueError(_TOO_DEEP)
    if _SURROGATE_ESCAPE.search(text):
        _check_strings(value)
    return value


def _unique_keys(pairs: list) -> dict:
    result = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"key {_shown(key)} appears twice")
        result[key] = value
    return result


def _depth_at_most(text: str, limit: int) -> bool:
    """Whether the valid JSON ``text`` nests at most ``limit`` containers deep: with strings and
    scalars gone, each pass removes the innermost ``{}`` and ``[]``; ``limit`` passes must
    leave nothing. Text with no more than ``limit`` opening brackets in all needs no pass."""
    if text.count("[") + text.count("{") <= limit:
        return True
    brackets = _NOT_A_BRACKET.sub("", text)
    for _ in range(limit):
        if not brackets:
            return True
        brackets = _INNERMOST.sub("", brackets)
    return not brackets


def _check_strings(value) -> None:
    """Check every string (keys too) of a decoded value, walking it without recursion."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            _check_text(item)
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError(
            f"string {_shown(text)} holds a lone surrogate (\\u{ord(text[error.start]):04x}), "
            "which is not a character"
        ) from None


def _shown(text: str) -> str:
    """``text`` for a message, shortened, with anything unprintable escaped."""
    shown = ascii(text)
    return shown if len(shown) <= 60 else shown[:57] + "..."
