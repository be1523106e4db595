"""Progress of long fits as log lines: rounds done and time left, a line at most every few
seconds (a log file or a pipe is not flooded with redraws)."""

from __future__ import annotations

import logging
import time

logger = logging.getLogger(__name__)

LOG_EVERY_SEC = 15.0
"""At most one progress line per fit in this many seconds (and one when a fit ends)."""


def _minutes(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"


class FitProgress:
    """Reports one model's folds: ``lightgbm fold 2/5: round 300/1000, 40 s; fold <= 1.5 min
    left (early stopping may end it sooner), model ~3 min left``.

    Parameters
    ----------
    label : str
        What is being fitted (``lightgbm``).
    n_folds : int
        Fits to come (folds, plus one for a final fit if counted).
    max_rounds : int
        The most rounds one fit runs.
    every_sec : float
        Minimum seconds between two lines.
    """

    def __init__(self, label: str, n_folds: int, max_rounds: int, every_sec=LOG_EVERY_SEC):
        self.label, self.n_folds, self.max_rounds = label, n_folds, max_rounds
        self.every_sec = every_sec
        self.fold_seconds: list[float] = []
        self.start_fold()

    def start_fold(self) -> None:
        self._fold_start = self._last = time.perf_counter()
        self._first_round = None

    def on_round(self, rounds_done: int) -> None:
        """Called by the booster after every round; logs at most every ``every_sec``."""
        now = time.perf_counter()
        if self._first_round is None:
            self._first_round = (now, rounds_done)
        first_at, first_done = self._first_round
        if now - self._last < self.every_sec or rounds_done <= first_done:
            return  # no line before a round has been timed: setup is not a round's cost
        self._last = now
        boosting = (now - first_at, rounds_done - first_done)
        logger.info(self.line(rounds_done, now - self._fold_start, boosting))

    def line(self, rounds_done: int, elapsed: float, boosting=None) -> str:
        """The progress line. ``boosting`` = ``(seconds, rounds)`` since the first round, so
        the rate leaves out the setup before it (binning, column ranking)."""
        per_round = elapsed / max(rounds_done, 1)
        if boosting is not None:
            per_round = boosting[0] / boosting[1]
        fold_left = per_round * max(self.max_rounds - rounds_done, 0)
        folds_after = self.n_folds - len(self.fold_seconds) - 1
        typical = sum(self.fold_seconds) / len(self.fold_seconds) if self.fold_seconds else elapsed
        return (
            f"{self.label} fold {len(self.fold_seconds) + 1}/{self.n_folds}: round "
            f"{rounds_done}/{self.max_rounds}, {_minutes(elapsed)}; this fit <= "
            f"{_minutes(fold_left)} left (early stopping may end it sooner), "
            f"~{_minutes(typical * folds_after + min(fold_left, typical))} for the model"
        )

    def end_fold(self, rounds: int) -> None:
        seconds = time.perf_counter() - self._fold_start
        self.fold_seconds.append(seconds)
        logger.info(
            f"{self.label} fold {len(self.fold_seconds)}/{self.n_folds} done: {rounds} rounds "
            f"in {_minutes(seconds)}"
        )
