"""The text columns of a waiting queue's run (ids, phone, attributes), compactly.

Contacts that wait only briefly stay as the strings the core made; a long
queue is cut into segments of ``SEGMENT`` contacts, and a full segment that
still has ``FREEZE_MIN`` contacts waiting is frozen into bytes: the two ids
as their 16 raw bytes each, the phone numbers and attributes as one
``marshal`` blob (a repeated attribute key is stored once per segment).
A frozen segment is decoded as a whole when the queue's head reaches it, so
a contact costs ~70 bytes of text while it waits instead of ~500, and a
contact dialed soon after it was created pays nothing.
"""

from __future__ import annotations

import marshal
import re
from collections import deque
from typing import NamedTuple

SEGMENT = 4096  # contacts per segment
FREEZE_MIN = 256  # a full head segment with fewer contacts left stays decoded
# Canonical UUID strings, back to back (what ``new_uuid`` makes): only these
# round-trip through 16 raw bytes.
_UUIDS = re.compile(r"(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})*")

Attributes = dict[str, str] | None
# A decoded segment: contact ids, request ids, phone numbers, attributes.
Columns = tuple[list[str], list[str], list[str], list[Attributes]]


class Frozen(NamedTuple):
    """A segment's columns as bytes."""

    contact_ids: bytes  # 16 raw bytes each
    request_ids: bytes
    rest: bytes  # marshal of (phone numbers, attributes)


def freeze(columns: Columns) -> Frozen | None:
    """The segment's columns as bytes; None if an id is not a canonical UUID."""
    contact_ids, request_ids, phones, attributes = columns
    cids, rids = "".join(contact_ids), "".join(request_ids)
    if not (_UUIDS.fullmatch(cids) and _UUIDS.fullmatch(rids)):
        return None
    try:
        rest = marshal.dumps((phones, attributes))
    except ValueError:  # an attribute value marshal cannot hold: keep the strings
        return None
    return Frozen(bytes.fromhex(cids.replace("-", "")), bytes.fromhex(rids.replace("-", "")), rest)


def _uuids(raw: bytes) -> list[str]:
    h = raw.hex()
    return [
        f"{h[i : i + 8]}-{h[i + 8 : i + 12]}-{h[i + 12 : i + 16]}-{h[i + 16 : i + 20]}-"
        f"{h[i + 20 : i + 32]}"
        for i in range(0, len(h), 32)
    ]


def thaw(frozen: Frozen) -> Columns:
    """The columns ``freeze`` was given (equal strings, equal dicts in key order)."""
    phones, attributes = marshal.loads(frozen.rest)
    return _uuids(frozen.contact_ids), _uuids(frozen.request_ids), phones, attributes


def _empty() -> Columns:
    return [], [], [], []


class Texts:
    """A FIFO of (contact id, request id, phone, attributes), in segments."""

    __slots__ = ("head", "segments")

    def __init__(self) -> None:
        self.segments: deque[Columns | Frozen] = deque([_empty()])
        self.head = 0  # taken from the first segment

    def push(self, contact_id: str, request_id: str, phone: str, attributes: Attributes) -> None:
        tail = self.segments[-1]
        assert not isinstance(tail, Frozen)  # the tail segment is always decoded
        tail[0].append(contact_id)
        tail[1].append(request_id)
        tail[2].append(phone)
        tail[3].append(attributes)
        if len(tail[0]) >= SEGMENT:
            self._seal()

    def _seal(self) -> None:
        """The full tail segment is frozen if enough of it waits; a new tail starts."""
        segments = self.segments
        columns = segments[-1]
        assert not isinstance(columns, Frozen)
        if len(segments) == 1 and self.head:  # the head segment: drop what was taken
            h = self.head
            columns = (columns[0][h:], columns[1][h:], columns[2][h:], columns[3][h:])
            self.head = 0
        frozen = freeze(columns) if len(columns[0]) >= FREEZE_MIN else None
        segments[-1] = columns if frozen is None else frozen
        segments.append(_empty())

    def pop(self) -> tuple[str, str, str, Attributes]:
        """The oldest entry, removed (the FIFO is not empty)."""
        segments = self.segments
        first = segments[0]
        if isinstance(first, Frozen):
            first = segments[0] = thaw(first)
        i = self.head
        contact_ids, request_ids, phones, attributes = first
        entry = (contact_ids[i], request_ids[i], phones[i], attributes[i])
        i += 1
        if i < len(contact_ids):
            self.head = i
        elif len(segments) > 1:
            segments.popleft()
            self.head = 0
        else:  # the only (tail) segment is used up: empty it in place
            contact_ids.clear()
            request_ids.clear()
            phones.clear()
            attributes.clear()
            self.head = 0
        return entry
