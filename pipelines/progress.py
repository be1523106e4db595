"""Progress and diagnostics: ``logging`` for what happens, a bar only where someone watches.

The CLI calls :func:`configure_logging` once (``--quiet``: warnings only; ``--verbose``: debug);
modules log through ``logging.getLogger(__name__)``. Stage summaries stay plain text on stdout.
A progress bar is drawn only when standard error is a terminal; otherwise (a log file, CI)
long work reports a one-line status at most every ``interval_s`` seconds, so logs are not
flooded with redraws.
"""

from __future__ import annotations

import logging
import sys
import time
from types import TracebackType

LOGGER_NAMES = ("pipelines", "models", "features")
"""The project's loggers: one handler is installed on each by :func:`configure_logging`."""


def configure_logging(verbosity: int = 0) -> None:
    """Send the project's log records to standard error.

    ``verbosity``: -1 quiet (warnings and errors), 0 normal (progress and notes), 1 verbose
    (debug detail).
    """
    level = {-1: logging.WARNING, 0: logging.INFO}.get(verbosity, logging.DEBUG)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    for name in LOGGER_NAMES:
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)


def show_progress() -> bool:
    """Whether progress output is wanted: the project's loggers pass INFO."""
    return logging.getLogger("pipelines").isEnabledFor(logging.INFO)


class Progress:
    """A counter over ``total`` items: a tqdm bar on a terminal, else periodic log lines.

    >>> with Progress(3, "demo", enabled=False) as bar:
    ...     bar.update(3)
    >>> bar.n
    3
    """

    def __init__(
        self,
        total: int,
        desc: str,
        *,
        unit: str = "it",
        enabled: bool = True,
        interval_s: float = 30.0,
        logger: logging.Logger | None = None,
    ) -> None:
        self.total, self.desc, self.unit, self.n = total, desc, unit, 0
        self.enabled, self.interval_s = enabled, interval_s
        self.logger = logger or logging.getLogger("pipelines")
        self._start = self._last = time.monotonic()
        self._bar = None
        if enabled and sys.stderr.isatty():
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, desc=desc, unit=unit, leave=False)

    def update(self, n: int = 1) -> None:
        self.n += n
        if self._bar is not None:
            self._bar.update(n)
        elif self.enabled and time.monotonic() - self._last >= self.interval_s:
            self._last = time.monotonic()
            self.logger.info(self.status())

    def status(self) -> str:
        """``desc: n/total unit (p%), elapsed, about t left``."""
        elapsed = time.monotonic() - self._start
        line = f"{self.desc}: {self.n}/{self.total} {self.unit}"
        if self.total:
            line += f" ({100 * self.n / self.total:.0f}%)"
        line += f", {elapsed:.0f} s"
        if 0 < self.n < self.total:
            line += f", about {elapsed * (self.total - self.n) / self.n:.0f} s left"
        return line

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
