"""The cold tier of a token log: old records in files, a Bloom filter per segment in memory.

A ``TokenLog`` (``sim.connect.idempotency``) keeps at most a bounded number
of records in memory; the oldest move here a segment at a time. A segment is
one anonymous temporary file (gone when closed, or when the process ends)
holding the log's own columns for those records as they were in memory
(forget times, token hashes, record ends, token lengths, the records' bytes)
and an open-addressing table of its current records (linear probing, at
most half full); it is read through ``mmap``, and the pages a lookup
touched are handed back at once, so the files add nothing to the RSS. In memory a segment
keeps a blocked Bloom filter of its tokens (16 bits a token: one 64-bit word
per token, 4 bits set in it) and its largest forget time, so a lookup of a
token that was never recorded rarely touches the file, and expiry drops a
whole segment.

A lookup searches the segments newest first and answers from the first
record of the token it finds: that is the token's last record, the one a
log answers with. Records are exact (the stored token is compared).
"""

from __future__ import annotations

import mmap
import tempfile
from array import array
from collections.abc import Iterable
from typing import IO

_BITS_PER_TOKEN = 16


def encode(token: str) -> bytes:
    """A token's stored UTF-8. surrogatepass: a JSON "\\ud800" escape is a valid
    Python str, and stays exact."""
    return token.encode("utf-8", "surrogatepass")


_NEVER = float("inf")
_EMPTY = -1
_MIX = 0x9E3779B97F4A7C15  # odd, 64 bits: the high half of h * _MIX mixes every bit of h
_DONTNEED = getattr(mmap, "MADV_DONTNEED", None)  # Linux, macOS


def _probe(h32: int) -> tuple[int, int]:
    """(block, mask) of a 32-bit token hash: the high half of its product with
    a 64-bit odd constant gives the block and 4 bit positions in it."""
    x = (h32 * _MIX) >> 32
    mask = (1 << (x & 63)) | (1 << (x >> 6 & 63)) | (1 << (x >> 12 & 63)) | (1 << (x >> 18 & 63))
    return x >> 24, mask


class _Segment:
    """One file of records: its Bloom filter and views of its columns."""

    __slots__ = (
        "_map",
        "_views",
        "arena",
        "deleted",
        "ends",
        "forget",
        "hashes",
        "largest",
        "rows",
        "start",
        "table",
        "toklen",
        "width",
        "words",
    )

    def __init__(self, file: IO[bytes], k: int, size: int, start: int, width: int) -> None:
        # The map keeps its own descriptor of the (already unlinked) file: one
        # descriptor a segment, released by ``close``.
        self._map = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        whole = memoryview(self._map)
        at = [0, 8 * k, 8 * k + 4 * size, 12 * k + 4 * size, 16 * k + 4 * size, 18 * k + 4 * size]
        self.forget = whole[at[0] : at[1]].cast("d")
        self.table = whole[at[1] : at[2]].cast("i")
        self.hashes = whole[at[2] : at[3]].cast("I")
        self.ends = whole[at[3] : at[4]].cast("I")
        self.toklen = whole[at[4] : at[5]].cast("H")
        self.arena = whole[at[5] :]
        views = (self.forget, self.table, self.hashes, self.ends, self.toklen, self.arena)
        self._views = (whole, *views)
        self.start = start  # the arena offset of the first record, in memory
        self.width = width
        self.words = array("Q")  # the Bloom filter
        self.largest = -_NEVER  # the largest forget time of its records
        self.rows = 0
        self.deleted: set[int] = set()  # records a later one of their token replaced

    def find(self, key: bytes, h32: int) -> int:
        """The record of token ``key`` (with hash ``h32``), or -1."""
        table, hashes, ends, toklen, arena = (
            self.table,
            self.hashes,
            self.ends,
            self.toklen,
            self.arena,
        )
        start, width, mask = self.start, self.width, len(table) - 1
        i = h32 & mask
        while True:
            r = table[i]
            if r == _EMPTY:
                return -1
            if hashes[r] == h32:
                at = (ends[r - 1] if r else start) - start + width
                if arena[at : at + toklen[r]] == key and r not in self.deleted:
                    return r
            i = (i + 1) & mask

    def record(self, r: int) -> tuple[bytes, bytes]:
        """(value, tail) of record ``r``."""
        at = (self.ends[r - 1] if r else self.start) - self.start
        cut = at + self.width + self.toklen[r]
        arena = self.arena
        return bytes(arena[at : at + self.width]), bytes(arena[cut : self.ends[r] - self.start])

    def hand_back(self) -> None:
        """Drop the pages a lookup touched from the process (they stay in the file)."""
        if _DONTNEED is not None:
            self._map.madvise(_DONTNEED)

    def close(self) -> None:
        for view in reversed(self._views):
            view.release()
        self._map.close()


class ColdTier:
    """Segments of records in files, searched newest first."""

    __slots__ = ("_segments", "drop_at", "rows")

    def __init__(self) -> None:
        self._segments: list[_Segment] = []
        self.rows = 0  # records held: none to look for while 0
        self.drop_at = _NEVER  # the earliest time a segment can be dropped

    @property
    def segments(self) -> int:
        return len(self._segments)

    def add(
        self,
        width: int,
        arena: bytearray,
        columns: tuple[array[float], array[int], array[int], array[int]],
        span: tuple[int, int],
        current: Iterable[int],
    ) -> int:
        """A new segment, newer than every segment held, of records ``span``
        = (first, end) of a log's columns (forget times, hashes, ends, token
        lengths) and ``arena``; ``current`` are those (relative to ``first``)
        that are still the last record of their token: the others are never read.
        Returns how many records the segment holds (the current ones)."""
        forget, hashes, ends, toklen = columns
        first, end = span
        k = end - first
        if k <= 0:
            return 0
        size = 4
        while size < 2 * k:
            size *= 2
        mask = size - 1
        table = array("i", [_EMPTY]) * size
        words = array("Q", [0]) * max(1, k * _BITS_PER_TOKEN // 64)
        n_words = len(words)
        rows = 0
        for r in current:
            h = hashes[first + r]
            x = (h * _MIX) >> 32  # as _probe, inline
            bits = (1 << (x & 63)) | (1 << (x >> 6 & 63)) | (1 << (x >> 12 & 63))
            words[(x >> 24) % n_words] |= bits | (1 << (x >> 18 & 63))
            i = h & mask
            while table[i] != _EMPTY:
                i = (i + 1) & mask
            table[i] = r
            rows += 1
        if not rows:
            return 0
        start = ends[first - 1] if first else 0
        with tempfile.TemporaryFile() as file:
            for part, lo, hi in (
                (forget, first, end),
                (table, 0, size),
                (hashes, first, end),
                (ends, first, end),
                (toklen, first, end),
                (arena, start, ends[end - 1]),
            ):
                with memoryview(part) as whole, whole[lo:hi] as piece:
                    file.write(piece)
            file.flush()
            seg = _Segment(file, k, size, start, width)
        seg.words, seg.rows, seg.largest = words, rows, max(seg.forget)
        self._segments.append(seg)
        self.rows += rows
        self.drop_at = min(self.drop_at, seg.largest)
        return rows

    def get(self, token: str, h32: int, now: float) -> tuple[bytes, bytes] | None:
        """(value, tail) of the last record of ``token`` (``h32``: 32 bits of its
        hash) if that record's forget time is after ``now``."""
        block, bits = _probe(h32)
        key = None
        for seg in reversed(self._segments):
            words = seg.words
            if words[block % len(words)] & bits == bits:
                if key is None:
                    key = encode(token)
                r = seg.find(key, h32)
                hit = None if r < 0 or seg.forget[r] <= now else seg.record(r)
                seg.hand_back()
                if r >= 0:
                    return hit
        return None

    def discard(self, key: bytes, h32: int) -> None:
        """Forget every record of token ``key``."""
        block, bits = _probe(h32)
        for seg in self._segments:
            words = seg.words
            if words[block % len(words)] & bits == bits:
                r = seg.find(key, h32)
                seg.hand_back()
                if r >= 0:
                    seg.deleted.add(r)
                    seg.rows -= 1
                    self.rows -= 1

    def prune(self, now: float) -> None:
        """Drop every segment whose records are all past their forget time."""
        if now < self.drop_at:
            return
        kept = []
        for seg in self._segments:
            if seg.largest <= now:
                self.rows -= seg.rows
                seg.close()
            else:
                kept.append(seg)
        self._segments = kept
        self.drop_at = min((s.largest for s in kept), default=_NEVER)

    def close(self) -> None:
        """Close every segment (their files go with them)."""
        for seg in self._segments:
            seg.close()
        self._segments = []
        self.rows = 0
        self.drop_at = _NEVER
