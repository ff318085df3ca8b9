"""Reading stored JSON with orjson: the same values as eventsourcing's ``JSONTranscoder``, parsed faster.

Every event a catch-up, an audit replay or a command's load reads is JSON; with the standard library parsing it
was most of the cost of turning a stored event back into a domain event. ``orjson`` parses the same text to the
same values about twice as fast. eventsourcing's transcoder revives its typed values (``{"_type_": name,
"_data_": …}``: moments, dates, actors, …) through ``json``'s ``object_hook``, which orjson has not; this one
revives them itself, innermost first as the hook would:

* most events keep every typed value at the top level, with plain data (an actor's fields, a moment's text):
  the typed values are revived there, and when as many were found as the text names ``"_type_"`` the walk
  stops (a key in JSON text is never escaped by the encoders that wrote ours, and a ``"_type_"`` inside a
  string value is written ``\\"_type_\\"``, so the count can only be too high — then everything is walked);
* otherwise the whole value is walked.

Text orjson refuses (``NaN``, lone surrogates: the standard library writes and reads them) is read by the standard
library, and so is text with a run of 19 digits or more, since orjson reads an integer of 2**64 or more as a float
(the run may be in a string too: those few rows are merely read the slower way); every row ever stored reads as
before. Writing is unchanged: the
standard library's encoder, so new rows are written byte for byte as before (the hash chain covers them).
"""

from __future__ import annotations

from typing import Any

import orjson
from eventsourcing.persistence import JSONTranscoder, TranscodingNotRegisteredError

_TYPE_KEY = b'"_type_"'
# 19 digits in a row (an integer orjson might not keep exact, or digits in text): every digit made "0", then one
# find, both in C (a regular expression took longer than parsing the JSON)
_DIGITS_AS_ZERO, _NINETEEN_DIGITS = bytes.maketrans(b"123456789", b"000000000"), b"0" * 19


class OneThingTranscoder(JSONTranscoder):
    """eventsourcing's ``JSONTranscoder``, decoding with orjson (``TRANSCODER_TOPIC``)."""

    def decode(self, data: bytes) -> Any:
        """The value stored as ``data``, with its typed values revived."""
        if data.translate(_DIGITS_AS_ZERO).find(_NINETEEN_DIGITS) >= 0:
            return super().decode(data)  # orjson would read an integer of 2**64 or more as a float
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError:
            return super().decode(data)  # text only the standard library reads
        expected = data.count(_TYPE_KEY)
        if not expected:
            return value
        if type(value) is not dict:
            return self._revive(value)
        revived = self._top_level(value, expected)
        if len(revived) == expected:
            return value
        for key, item in value.items():  # the rest, as the whole walk would
            if key not in revived and (type(item) is dict or type(item) is list):
                value[key] = self._revive(item)
        return self._typed(value["_type_"], value["_data_"]) if _is_typed(value) else value

    def _top_level(self, value: dict[str, Any], expected: int) -> list[str]:
        """Revive the typed values at the top of ``value`` whose data is plain, stopping when ``expected`` are
        (events put their moment and actor first); return their keys. (Written out: it runs for every event.)"""
        revived: list[str] = []
        for key, item in value.items():
            if type(item) is not dict or len(item) != 2 or "_type_" not in item or "_data_" not in item:
                continue
            data = item["_data_"]
            if type(data) is dict:
                if "_type_" in data:
                    continue  # a typed value in a typed value: left to the whole walk
                for inner in data.values():
                    if type(inner) is dict or type(inner) is list:
                        break
                else:
                    value[key] = self._typed(item["_type_"], data)
                    revived.append(key)
            elif type(data) is not list:
                value[key] = self._typed(item["_type_"], data)
                revived.append(key)
            if len(revived) == expected:
                break
        return revived

    def _revive(self, value: Any) -> Any:
        """``value`` with every typed value in it revived, innermost first (``object_hook``'s order)."""
        if type(value) is dict:
            for key, item in value.items():
                if type(item) is dict or type(item) is list:
                    value[key] = self._revive(item)
            if _is_typed(value):
                return self._typed(value["_type_"], value["_data_"])
        elif type(value) is list:
            for index, item in enumerate(value):
                if type(item) is dict or type(item) is list:
                    value[index] = self._revive(item)
        return value

    def _typed(self, name: Any, data: Any) -> Any:
        try:
            transcoding = self.names[name]
        except (KeyError, TypeError) as error:
            raise TranscodingNotRegisteredError(
                f"Data serialized with name '{name}' is not deserializable. Please register a custom transcoding "
                "for this type.") from error
        return transcoding.decode(data)


def _is_typed(value: dict[str, Any]) -> bool:
    """Whether ``value`` is a typed value as eventsourcing writes it (exactly the two keys)."""
    return len(value) == 2 and "_type_" in value and "_data_" in value
