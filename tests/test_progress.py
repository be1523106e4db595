import logging

from pipelines.progress import Progress, configure_logging, show_progress


def test_status_line_counts_and_estimates_time_left():
    bar = Progress(10, "train features", unit="win", enabled=False)
    bar.update(4)
    line = bar.status()
    assert line.startswith("train features: 4/10 win (40%)")
    assert "left" in line


def test_not_a_terminal_logs_one_line_per_interval_not_per_update(caplog):
    # pytest's stderr is not a terminal: no bar is drawn, only periodic log lines.
    logger = logging.getLogger("hms_test_progress")
    with caplog.at_level(logging.INFO, logger="hms_test_progress"):
        bar = Progress(1000, "work", enabled=True, interval_s=3600, logger=logger)
        for _ in range(1000):
            bar.update()
        bar.close()
    assert bar.n == 1000
    assert caplog.records == []  # the interval never elapsed: no flood
    with caplog.at_level(logging.INFO, logger="hms_test_progress"):
        bar = Progress(5, "work", enabled=True, interval_s=0.0, logger=logger)
        bar.update(2)
    assert [r.getMessage().split(",")[0] for r in caplog.records] == ["work: 2/5 it (40%)"]


def test_quiet_and_verbose_set_the_project_loggers_levels():
    configure_logging(-1)
    assert not show_progress()
    assert logging.getLogger("models").getEffectiveLevel() == logging.WARNING
    configure_logging(1)
    assert logging.getLogger("features").isEnabledFor(logging.DEBUG)
    configure_logging(0)
    assert show_progress() and not logging.getLogger("pipelines").isEnabledFor(logging.DEBUG)
