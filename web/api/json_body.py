"""One strict reading of every JSON body of the API, before anything else parses it.

Python's parser recurses once per nesting level (60,000 ``[`` fit in 64 KiB and end in a RecursionError),
refuses integers of more than 4,300 digits with a ValueError of its own, reads ``NaN`` and ``Infinity``
(which are not JSON) and keeps the last of two equal keys, where another reader of the same bytes might
keep the first. So the depth is counted on the raw text first, without recursion, and the body is then
parsed once with each of those refused: the answer is a 400 naming the body, and what the views parse
later has already been read once in full.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 32  # the deepest request body of the API is 3 levels deep
MAX_DIGITS = 64  # no field holds a longer number (Python refuses to read more than 4,300 digits)

# A string, or an unclosed one to the end: a pattern that must see the closing quote fails on an unclosed
# string and starts again at every later quote (quadratic: 15 s of CPU for 64 KiB of ``\"``); possessive
# quantifiers never backtrack.
_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"?', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


class MalformedBody(ValueError):
    """Raised when a request body is not JSON this API reads; the message says why, in words."""


def read_json(raw: bytes) -> Any:
    """The body parsed strictly (see the module's docstring); raise ``MalformedBody`` saying what is wrong."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise MalformedBody(f"not UTF-8 (byte {error.start})") from None
    if nesting_depth(text) > MAX_DEPTH:
        raise MalformedBody(f"JSON nested more than {MAX_DEPTH} levels deep")
    try:
        return json.loads(text, parse_int=_whole_number, parse_float=_finite_number,
                          parse_constant=_no_constant, object_pairs_hook=_unique_keys)
    except MalformedBody:
        raise
    except ValueError as error:  # json.JSONDecodeError says where
        raise MalformedBody(f"not valid JSON ({error})") from None


def nesting_depth(text: str, stop_after: int = MAX_DEPTH) -> int:
    """How deep arrays and objects nest in ``text`` (brackets inside strings do not count), counted up to
    ``stop_after + 1``."""
    depth = deepest = 0
    for bracket in _BRACKET.finditer(_STRING.sub("", text)):
        if bracket.group() in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > stop_after:
                    break
        else:
            depth -= 1
    return deepest


def _whole_number(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise MalformedBody(f"a number of more than {MAX_DIGITS} digits")
    return int(text)


def _finite_number(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise MalformedBody(f"the number {text[:20]}{'…' if len(text) > 20 else ''} is too large")
    return number


def _no_constant(name: str) -> Any:
    raise MalformedBody(f"{name} is not a JSON number")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise MalformedBody(f"the key {key[:40]!r} appears twice")
        seen.add(key)
    return dict(pairs)
