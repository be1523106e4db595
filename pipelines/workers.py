"""Worker processes that stop with the process that started them.

joblib's loky workers finish whatever they hold when their parent dies; after a ``kill -9``
of ``hms features`` they would go on computing for minutes. A worker that calls
``stop_with_parent`` at the start of each task watches its parent from a daemon thread and
exits as soon as the parent is gone.
"""

from __future__ import annotations

import os
import threading
import time

POLL_SEC = 0.5
_watched: set[int] = set()  # parents this process already watches (one thread each)


def parent_alive(parent_pid: int, first_ppid: int) -> bool:
    """Whether ``parent_pid`` still runs. A direct child sees its parent change when the
    parent dies (it is adopted), even before the parent is reaped; other processes ask the
    kernel whether the pid exists."""
    if first_ppid == parent_pid:
        return os.getppid() == parent_pid
    try:
        os.kill(parent_pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def stop_with_parent(parent_pid: int | None, *, poll_sec: float = POLL_SEC) -> None:
    """In a worker process, exit (status 1) soon after ``parent_pid`` is gone.

    Does nothing in the parent itself (``n_jobs=1``, the threading backend) or when
    ``parent_pid`` is None; a process watches one parent once, however many tasks it runs.
    """
    if parent_pid is None or parent_pid == os.getpid() or parent_pid in _watched:
        return
    _watched.add(parent_pid)
    first_ppid = os.getppid()

    def watch() -> None:
        while parent_alive(parent_pid, first_ppid):
            time.sleep(poll_sec)
        os._exit(1)  # the parent is gone: nobody will read this worker's results

    threading.Thread(target=watch, name="hms-parent-watch", daemon=True).start()
