"""argparse ``type=`` helpers: values the CLI refuses at parsing (exit 2, before any work)."""

from __future__ import annotations

import argparse
import math


def model_list(text: str) -> str:
    """``--models``: a comma list of known model families, returned normalised.

    >>> model_list("lightgbm, catboost")
    'lightgbm,catboost'
    """
    from models.gbdt import MODEL_KINDS

    names = [name.strip() for name in text.split(",")]
    unknown = [name for name in names if name not in MODEL_KINDS]
    if unknown:
        shown = ", ".join(repr(name) for name in unknown)
        raise argparse.ArgumentTypeError(
            f"unknown model {shown}; known models: {', '.join(MODEL_KINDS)}"
        )
    return ",".join(names)


def family_list(text: str) -> list[str]:
    """``--families``: a comma list of registered feature families.

    >>> family_list("spectral,temporal")
    ['spectral', 'temporal']
    """
    from features.registry import family_names

    names = [name.strip() for name in text.split(",")]
    unknown = [name for name in names if name not in family_names()]
    if unknown:
        shown = ", ".join(repr(name) for name in unknown)
        raise argparse.ArgumentTypeError(
            f"unknown feature family {shown}; known: {', '.join(family_names())}"
        )
    return names


def finite_float(text: str) -> float:
    """A float that is neither NaN nor infinite (``float("nan")`` parses, so it must be
    refused here)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def storage_url(text: str) -> str:
    """``--storage``: an SQLAlchemy URL whose database kind SQLAlchemy knows."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        make_url(text).get_dialect()
    except ArgumentError as err:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a database URL SQLAlchemy can open ({err}); e.g. "
            "sqlite:///path/optuna.db or postgresql://user@host/db"
        ) from None
    return text


def non_negative_int(text: str) -> int:
    """A whole number >= 0 (``--max-features``; 0 means no limit).

    >>> non_negative_int("400")
    400
    """
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {value}")
    return value
