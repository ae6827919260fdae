"""Contacts that are only INITIATED, in columns: the projector's long waiters.

A contact created long before it is dialed (a list ingested before its
calling window opens) would otherwise hold a full state list (~280 bytes), a
dict entry and its id string (~130 bytes) in the projector for hours.
``InitiatedTable`` keeps such a contact in ~70 bytes: its id and dial-request
id as 16 raw bytes each, its phone number as an integer, its creation time
and birth number in typed arrays, and its (campaign, instance, queue, system
endpoint) as one interned profile number; an open-addressing table of row
numbers finds it by id. ``freeze`` takes a state only if ``thaw`` gives back
an equal list, so the projection rows cannot change.
"""

from __future__ import annotations

import re
from array import array
from operator import itemgetter
from typing import Any

from sim.store.contact import (
    C_CAMPAIGN,
    C_CREATED,
    C_CUSTOMER,
    C_ID,
    C_INITIATED,
    C_INSTANCE,
    C_QUEUE,
    C_REQUEST,
    C_SEQ,
    C_SYSTEM,
    WIDTH,
    State,
)

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_UUID_MATCH = _UUID.fullmatch
_PHONE = re.compile(r"\+[1-9][0-9]{0,17}")  # fits an int64, and round-trips through int
_PHONE_MATCH = _PHONE.fullmatch
_KEPT = frozenset(
    (C_ID, C_SEQ, C_CAMPAIGN, C_REQUEST, C_INSTANCE, C_QUEUE, C_CUSTOMER, C_SYSTEM, C_CREATED)
) | {C_INITIATED}
_OTHERS = itemgetter(*(i for i in range(WIDTH) if i not in _KEPT))
_N_OTHERS = WIDTH - len(_KEPT)
_EMPTY, _DELETED = -1, -2
_MIN_SLOTS = 64
_NO_PHONE = -1  # customer endpoint None

Profile = tuple[Any, Any, Any, Any, bool]  # campaign, instance, queue, system, has request


def _raw(uuid: str) -> bytes:
    return bytes.fromhex(uuid.replace("-", ""))


def _text(raw: bytes | bytearray) -> str:
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _plain(value: Any) -> bool:
    return value is None or type(value) is str


class InitiatedTable:
    """INITIATED-only contact states by contact id, compactly; see the module doc."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._slots = array("i", [_EMPTY]) * _MIN_SLOTS
        self._mask = _MIN_SLOTS - 1
        self._filled = 0  # slots not empty (live rows and deleted marks)
        self.live = 0  # states stored
        self._free = array("i")  # rows to reuse
        self._ids = bytearray()  # 16 bytes a row
        self._requests = bytearray()  # 16 bytes a row (zeros: no request id)
        self._born = array("q")
        self._created = array("d")
        self._phone = array("q")
        self._profile = array("i")
        self._profiles: list[Profile] = []
        self._profile_of: dict[Profile, int] = {}

    def __len__(self) -> int:
        return self.live

    # -- storing ------------------------------------------------------------------

    def freeze(self, st: State) -> bool:
        """Store ``st`` (an INITIATED-only state) if it round-trips exactly."""
        contact_id, request, phone, created = st[C_ID], st[C_REQUEST], st[C_CUSTOMER], st[C_CREATED]
        if (
            type(contact_id) is not str
            or not _UUID_MATCH(contact_id)
            or type(st[C_SEQ]) is not int
            or type(created) is not float
            or st[C_INITIATED] is not created
            or not (request is None or (type(request) is str and _UUID_MATCH(request)))
            or not (phone is None or (type(phone) is str and _PHONE_MATCH(phone)))
            or _OTHERS(st).count(None) != _N_OTHERS
        ):
            return False
        profile = (st[C_CAMPAIGN], st[C_INSTANCE], st[C_QUEUE], st[C_SYSTEM], request is not None)
        if not all(map(_plain, profile[:4])):
            return False
        number = self._profile_of.get(profile)
        if number is None:
            number = self._profile_of[profile] = len(self._profiles)
            self._profiles.append(profile)
        key = _raw(contact_id)
        values = (
            st[C_SEQ],
            created,
            _NO_PHONE if phone is None else int(phone[1:]),
            number,
            bytes(16) if request is None else _raw(request),
        )
        if self._free:
            row = self._free.pop()
            self._set(row, key, values)
        else:
            row = len(self._born)
            self._append(key, values)
        if 3 * (self._filled + 1) > 2 * len(self._slots):  # kept at most 2/3 full
            self._rehash()
        self._place(key, row)
        self.live += 1
        return True

    def _set(self, row: int, key: bytes, values: tuple[int, float, int, int, bytes]) -> None:
        at = 16 * row
        self._ids[at : at + 16] = key
        self._born[row], self._created[row], self._phone[row], self._profile[row] = values[:4]
        self._requests[at : at + 16] = values[4]

    def _append(self, key: bytes, values: tuple[int, float, int, int, bytes]) -> None:
        self._ids += key
        self._born.append(values[0])
        self._created.append(values[1])
        self._phone.append(values[2])
        self._profile.append(values[3])
        self._requests += values[4]

    def _place(self, key: bytes, row: int) -> None:
        """Put ``row`` in the first free slot of ``key``'s probe sequence."""
        slots, mask = self._slots, self._mask
        i = int.from_bytes(key[10:], "big") & mask
        while slots[i] >= 0:
            i = (i + 1) & mask
        if slots[i] == _EMPTY:
            self._filled += 1
        slots[i] = row

    def _rehash(self) -> None:
        size = _MIN_SLOTS
        while size < 2 * (self.live + 1):
            size *= 2
        old = self._slots
        self._slots = array("i", [_EMPTY]) * size
        self._mask = size - 1
        self._filled = 0
        ids = self._ids
        for row in old:
            if row >= 0:
                self._place(bytes(ids[16 * row : 16 * row + 16]), row)

    # -- taking -------------------------------------------------------------------

    def thaw(self, contact_id: Any) -> State | None:
        """The stored state of ``contact_id``, removed; None if it is not here."""
        if not self.live or type(contact_id) is not str or not _UUID_MATCH(contact_id):
            return None
        key = _raw(contact_id)
        slots, mask, ids = self._slots, self._mask, self._ids
        i = int.from_bytes(key[10:], "big") & mask
        while True:
            row = slots[i]
            if row == _EMPTY:
                return None
            if row >= 0 and ids[16 * row : 16 * row + 16] == key:
                break
            i = (i + 1) & mask
        st = self._state(row, contact_id)
        self.live -= 1
        if self.live:
            slots[i] = _DELETED
            self._free.append(row)
        else:  # empty: let the columns go
            self._reset()
        return st

    def _state(self, row: int, contact_id: str) -> State:
        campaign, instance, queue, system, has_request = self._profiles[self._profile[row]]
        phone = self._phone[row]
        created = self._created[row]
        st: State = [None] * WIDTH
        st[C_ID] = contact_id
        st[C_SEQ] = self._born[row]
        st[C_CAMPAIGN] = campaign
        st[C_REQUEST] = _text(self._requests[16 * row : 16 * row + 16]) if has_request else None
        st[C_INSTANCE] = instance
        st[C_QUEUE] = queue
        st[C_CUSTOMER] = None if phone == _NO_PHONE else f"+{phone}"
        st[C_SYSTEM] = system
        st[C_CREATED] = st[C_INITIATED] = created
        return st

    def drain(self) -> list[State]:
        """Every stored state (in no particular order), removed."""
        ids = self._ids
        states = [
            self._state(row, _text(bytes(ids[16 * row : 16 * row + 16])))
            for row in self._slots
            if row >= 0
        ]
        self._reset()
        return states
