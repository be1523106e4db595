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
from collections.abc import Callable, Iterator

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


def run_unordered(
    func: Callable,
    tasks: list,
    *,
    n_jobs: int,
    backend: str,
    scheduler: str | None,
    local_args: tuple = (),
) -> Iterator:
    """``func(task)`` for every task, results in order of completion: in this process when
    ``n_jobs == 1`` with loky, else through joblib (loky or threading; ``func(task,
    *local_args)``) or a Dask cluster (``scheduler``, else a local one). The one executor of
    ``hms features`` and ``hms annotate``."""
    if n_jobs == 1 and backend == "loky":
        yield from (func(t) for t in tasks)
        return
    from joblib import Parallel, delayed, parallel_config

    if backend == "dask":
        from distributed import Client

        client = Client(scheduler) if scheduler else Client(processes=True)
        try:
            with parallel_config(backend="dask"):
                runner = Parallel(n_jobs=-1, return_as="generator_unordered")
                yield from runner(delayed(func)(t) for t in tasks)
        finally:
            client.close()
        return
    runner = Parallel(n_jobs=n_jobs, backend=backend, return_as="generator_unordered")
    yield from runner(delayed(func)(t, *local_args) for t in tasks)
