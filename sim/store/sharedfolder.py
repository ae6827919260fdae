"""A SQLite store in a folder the reader cannot write (a read-only share).

To read a WAL database SQLite needs its ``-shm`` index beside it, and a
read-only connection refuses to read (SQLITE_READONLY) when it cannot create
one. With no ``-wal`` file, every committed transaction is in the database
file; when nobody can write the folder, no writer can start either (it would
have to create the ``-wal`` there), so the file may be read as immutable
(``immutable=1``: no locks, no ``-shm``). A folder that another user may
write is not read that way: a run could start mid-read. Nor is a folder on
a read-only mount: the same folder may be written through another mount (a
container's ``:ro`` volume of a host folder, an NFS export), and a run
checkpointing there mid-read gives an immutable reader torn pages
("database disk image is malformed"). SQLite cannot open the store there
(SQLITE_CANTOPEN); ``read_only_mount`` names the folder and says why.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path


def cannot_make_index(error: sqlite3.DatabaseError, wal: Path) -> bool:
    """SQLITE_READONLY on a read-only connection with no -wal file beside:
    a WAL store whose -shm index SQLite cannot create in the folder."""
    code = getattr(error, "sqlite_errorcode", 0) & 0xFF
    return code == sqlite3.SQLITE_READONLY and not wal.exists()


def nobody_writes(folder: Path) -> bool:
    """No process but root's can create a file in ``folder``: it grants no
    write permission (a read-only mount says nothing of other mounts)."""
    try:
        return folder.stat().st_mode & 0o222 == 0
    except OSError:
        return False


def read_only_mount(
    name: str, folder: Path, error: sqlite3.DatabaseError, read_only: bool
) -> str | None:
    """The message for a store SQLite cannot open in a folder on a read-only
    mount (it cannot make the -shm index there); None for any other error."""
    code = getattr(error, "sqlite_errorcode", 0) & 0xFF
    try:
        if code != sqlite3.SQLITE_CANTOPEN or not os.statvfs(folder).f_flag & os.ST_RDONLY:
            return None
    except OSError:
        return None
    why = (
        "another mount may be writing it: read a copy" if read_only else "nothing is written there"
    )
    return (
        f"{name}: cannot open: its folder {folder} is on a read-only mount, where SQLite"
        f" cannot create the store's -shm index ({why})"
    )


def folder_refusal(name: str, folder: Path, read_only: bool) -> str | None:
    """Why the store ``name`` in ``folder`` (which this process cannot write)
    cannot be opened; None when it may be read as immutable."""
    if not read_only:
        return (
            f"{name}: cannot write its folder {folder}, where SQLite"
            " keeps the store's -wal and -shm files while it writes"
        )
    if not nobody_writes(folder):
        return (
            f"{name}: cannot read: SQLite cannot create the store's -shm index"
            f" in its folder {folder}, which this user cannot write (read a copy)"
        )
    return None
