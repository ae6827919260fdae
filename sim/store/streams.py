"""Stream numbers of a run's log (``events.stream_no``), in a few bytes per open stream.

The writer numbers a run's streams 1, 2, ... in order of first appearance and
remembers the number of every open stream until its terminal event. Most
streams close within seconds of opening (P1: a dial request, its contact,
its call), but a list waiting for calling hours keeps two streams open per
waiting request (its dial request and its contact) for hours: millions. A
dict entry keyed by the 36-character id string costs ~150 bytes; a stream
still open after ``sweep_every`` newer streams have appeared moves to
``UuidTable``, ~40 bytes a stream (its UUID as 16 bytes, its number, a
32-bit hash, and a slot of an open-addressing table), while the common,
short-lived stream never leaves the dict.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from typing import Any

_EMPTY = -1  # a free slot of the table
_MIN_SLOTS = 64
SWEEP_EVERY = 32768  # new streams between two sweeps of the young dict


def uuid_key(stream_id: str) -> bytes | None:
    """The 16 bytes of a canonical (lower-case, dashed) UUID string, else None.

    Only canonical strings map to bytes, so the mapping is one-to-one: an
    upper-case spelling of the same UUID is another stream, kept by its string.
    """
    if (
        len(stream_id) != 36
        or stream_id[8] != "-"
        or stream_id[13] != "-"
        or stream_id[18] != "-"
        or stream_id[23] != "-"
        or stream_id.count("-") != 4
        or stream_id != stream_id.lower()
    ):
        return None
    try:
        raw = bytes.fromhex(stream_id.replace("-", ""))
    except ValueError:
        return None
    return raw if len(raw) == 16 else None  # fromhex skips whitespace: not a UUID


class UuidTable:
    """A map of 16-byte keys to numbers: records in typed arrays and one byte
    array (a closed record's place is reused), found through an open-addressing
    table of record indexes (linear probing, at most 2/3 full, deletion by
    backward shift so no tombstones pile up). Keys are compared whole.
    """

    __slots__ = ("_free", "_hashes", "_keys", "_mask", "_nums", "_slots", "size")

    def __init__(self) -> None:
        self._keys = bytearray()  # 16 bytes per record
        self._nums = array("I")  # the number, per record (64-bit from 2**32 on)
        self._hashes = array("I")  # 32 bits of the key's hash, per record
        self._free = array("i")  # records whose key was removed
        self._slots = array("i", [_EMPTY]) * _MIN_SLOTS
        self._mask = _MIN_SLOTS - 1
        self.size = 0  # keys held

    def _find(self, key: bytes, h: int) -> int:
        """The slot holding ``key``, or the empty slot where its probe ends (as ``~slot``)."""
        slots, hashes, keys, mask = self._slots, self._hashes, self._keys, self._mask
        i = h & mask
        while True:
            r = slots[i]
            if r == _EMPTY:
                return ~i
            if hashes[r] == h and keys[16 * r : 16 * r + 16] == key:
                return i
            i = (i + 1) & mask

    def get(self, key: bytes) -> int | None:
        """The number of ``key``, or None."""
        i = self._find(key, hash(key) & 0xFFFFFFFF)
        return None if i < 0 else self._nums[self._slots[i]]

    def pop(self, key: bytes) -> int | None:
        """Remove ``key``; its number, or None if it was not there."""
        i = self._find(key, hash(key) & 0xFFFFFFFF)
        if i < 0:
            return None
        r = self._slots[i]
        self._unlink(i)
        self._free.append(r)
        return self._nums[r]

    def put(self, key: bytes, number: int) -> None:
        """Map ``key`` (16 bytes) to ``number``."""
        if len(key) != 16:
            raise ValueError(f"key must be 16 bytes, got {len(key)}")
        if number > 0xFFFFFFFF and self._nums.typecode == "I":
            self._nums = array("q", self._nums)
        h = hash(key) & 0xFFFFFFFF
        i = self._find(key, h)
        if i >= 0:
            self._nums[self._slots[i]] = number
            return
        if self._free:
            r = self._free.pop()
            self._keys[16 * r : 16 * r + 16] = key
            self._nums[r] = number
            self._hashes[r] = h
        else:
            r = len(self._nums)
            self._keys += key
            self._nums.append(number)
            self._hashes.append(h)
        self._slots[~i] = r
        self.size += 1
        if self.size * 3 > len(self._slots) * 2:
            self._resize(len(self._slots) * 2)

    def _unlink(self, i: int) -> None:
        """Empty slot ``i``, pulling later entries of its probe run into the hole."""
        slots, hashes, mask = self._slots, self._hashes, self._mask
        self.size -= 1
        j = i
        while True:
            j = (j + 1) & mask
            r = slots[j]
            if r == _EMPTY:
                break
            home = hashes[r] & mask
            # The entry at j moves into the hole unless its home lies cyclically in (i, j].
            if (home <= i or home > j) if i < j else (j < home <= i):
                slots[i] = r
                i = j
        slots[i] = _EMPTY
        if self.size * 8 < len(slots) and len(slots) > _MIN_SLOTS:
            self._resize(len(slots) // 4)  # the table shrank: so can its slots

    def _resize(self, size: int) -> None:
        """A fresh table of ``size`` slots holding the same records."""
        slots = array("i", [_EMPTY]) * size
        mask = size - 1
        hashes = self._hashes
        for r in self._slots:
            if r != _EMPTY:
                i = hashes[r] & mask
                while slots[i] != _EMPTY:
                    i = (i + 1) & mask
                slots[i] = r
        self._slots, self._mask = slots, mask


class StreamNumbers:
    """Numbers a run's streams 1, 2, ... in order of first appearance.

    Only open streams are remembered: a terminal event ends its stream. A
    stream is first kept in a dict by its id; at a sweep (every
    ``sweep_every`` new streams) the streams opened before the previous
    sweep move to a ``UuidTable`` if their id is a canonical UUID (other ids
    stay in the dict: there are few). A stream there that has an event again
    moves back to the dict (its next events come soon: a waiting contact
    being dialed), and leaves it again at a later sweep if it stays open.
    """

    def __init__(self, terminal: frozenset[Any], sweep_every: int = SWEEP_EVERY) -> None:
        if sweep_every < 1:
            raise ValueError(f"sweep_every must be >= 1, got {sweep_every}")
        self._terminal = terminal
        self._young: dict[str, int] = {}
        self._old = UuidTable()
        self._next = 1
        self._sweep_every = sweep_every
        self._swept = 1  # the next number at the last sweep

    def __len__(self) -> int:
        """Streams open."""
        return len(self._young) + self._old.size

    def numbers(self, ids: Sequence[str], types: Sequence[Any]) -> list[int]:
        """The stream number of each event of a chunk (ids and types in log order)."""
        young, old, terminal = self._young, self._old, self._terminal
        get = young.get
        numbers: list[int] = []
        number_of = numbers.append
        next_ = self._next
        for stream_id, type_ in zip(ids, types, strict=True):
            number = get(stream_id)
            if number is not None:
                if type_ in terminal:
                    del young[stream_id]
                number_of(number)
                continue
            if old.size:  # long open, and active again: back to the dict
                key = uuid_key(stream_id)
                number = None if key is None else old.pop(key)
            if number is None:
                number = next_
                next_ += 1
            if type_ not in terminal:
                young[stream_id] = number
            number_of(number)
        self._next = next_
        if next_ - self._swept >= self._sweep_every:
            self._sweep()
        return numbers

    def _sweep(self) -> None:
        """Move the streams opened before the last sweep to the compact table."""
        cutoff, self._swept = self._swept, self._next
        put = self._old.put
        kept: dict[str, int] = {}
        for stream_id, number in self._young.items():
            key = uuid_key(stream_id) if number < cutoff else None
            if key is None:
                kept[stream_id] = number
            else:
                put(key, number)
        self._young = kept
