"""Is the process that owns a 'running' run still alive?

A run records its owner: host name, pid, and the process's start
(``"<boot id>:<start ticks>"`` from Linux's /proc; None elsewhere). On the
owner's host that settles it: the run is dead when no process has the pid,
the pid's process is a zombie, it started at another tick (the pid was
reused), or the machine has booted since (a power loss). From another host
(a shared PostgreSQL store) a process cannot be looked up: a run whose last
sign of life (``heartbeat_at``, set at every committed chunk, else
``started_at``) is older than ``STALE_AFTER_S`` is presumed dead.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime
from pathlib import Path

# A live run commits a chunk every few seconds; an hour of silence from
# another host means its process is gone (or a server idles: see docs/store.md).
STALE_AFTER_S = 3600.0

_PROC = Path("/proc")


def _boot_id() -> str | None:
    try:
        return (_PROC / "sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return None


def _stat(pid: int) -> tuple[str, str] | None:
    """(state letter, start ticks) of ``pid`` from /proc, or None if there is none."""
    try:
        text = (_PROC / str(pid) / "stat").read_text()
    except (OSError, ValueError):
        return None
    # The command name (field 2) may hold spaces and parentheses: split after it.
    fields = text[text.rindex(")") + 2 :].split()
    return fields[0], fields[19]


def process_start(pid: int) -> str | None:
    """``"<boot id>:<start ticks>"`` of process ``pid``, or None where /proc is absent."""
    boot, stat = _boot_id(), _stat(pid)
    if boot is None or stat is None:
        return None
    return f"{boot}:{stat[1]}"


def this_process() -> tuple[str, int, str | None]:
    """(host, pid, process start) of the calling process, as a run records them."""
    pid = os.getpid()
    return socket.gethostname(), pid, process_start(pid)


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _local_death(pid: int | None, start: str | None) -> str | None:
    """Why the local process ``pid`` (started at ``start``) is gone, or None if alive."""
    if pid is None or pid <= 0:  # (0 and below would name process groups)
        return "no owner process was recorded"
    if start is not None:
        boot, _, ticks = start.partition(":")
        now_boot = _boot_id()
        if now_boot is not None and now_boot != boot:
            return "the machine has restarted since it started (power loss or reboot)"
        stat = _stat(pid)
        if stat is None and now_boot is not None:
            return f"its process {pid} is gone (killed or crashed)"
        if stat is not None and stat[0] in ("Z", "X"):
            return f"its process {pid} is gone (killed or crashed)"
        if stat is not None and stat[1] != ticks:
            return f"its process {pid} is gone (the pid now belongs to another process)"
    if not _pid_exists(pid):
        return f"its process {pid} is gone (killed or crashed)"
    return None


def owner_gone(
    host: str | None,
    pid: int | None,
    start: str | None,
    last_sign: str | None,
    now: datetime,
) -> str | None:
    """Why the owner of a 'running' run is dead, or None while it may be alive.

    ``last_sign`` is the ISO time of its last heartbeat (or its start).
    """
    if host == socket.gethostname():
        return _local_death(pid, start)
    if last_sign is None:
        return None
    try:
        silent = (now - datetime.fromisoformat(last_sign)).total_seconds()
    except (TypeError, ValueError):
        return None
    if silent > STALE_AFTER_S:
        return (
            f"presumed dead: no sign of life from host {host} since {last_sign} "
            f"({silent / 3600:.1f} h)"
        )
    return None
