"""How a reader's settings are chosen: figures on the corpus dev split, never the test split.

A reader is fitted on the train split. Its thresholds and category biases are chosen on one half
of dev and measured on the other half, then the other way round, so the figures printed are on
replies nothing was chosen on (the reader ``surveys train`` ships chooses on all of dev, then
refits on train + dev). Use it to compare settings before changing them:

    .venv/bin/python benchmarks/reader_dev.py [--show-errors] [--set C_category=5 ...]
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402
import ast  # noqa: E402
import dataclasses  # noqa: E402
import hashlib  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from surveys import corpus, reader, reader_training  # noqa: E402
from surveys.analysis import analyze  # noqa: E402
from surveys.corpus import Example, Split  # noqa: E402
from surveys.evaluation import Score  # noqa: E402


def halves(rows: Sequence[Example]) -> tuple[list[Example], list[Example]]:
    """Dev in two halves by a hash nobody chooses (the split's own, one bit further on)."""
    first, second = [], []
    for e in rows:
        digest = hashlib.sha256(corpus.normalized(e.text).encode()).digest()
        (first if digest[4] % 2 == 0 else second).append(e)
    return first, second


def measure(
    candidate: reader.Reader, rows: Sequence[Example], scores: dict[str, Score], errors: list[str]
) -> None:
    for e in rows:
        got = analyze(e.text, 5, e.lang, using=candidate)
        for lang in (e.lang, "all"):
            scores.setdefault(lang, Score()).add(got, e, got.rating, e.rating, with_rating=True)
        wrong = [
            f"{name} {want!r}->{have!r}"
            for name, have, want in (
                ("category", got.category, e.category),
                ("negative", got.negative, e.negative),
                ("quit", got.quit_intent, e.quit_intent),
                ("opt_out", got.opt_out, e.opt_out),
            )
            if have != want
        ]
        if wrong:
            errors.append(f"  [{e.lang}] {e.text[:160]!r}: {', '.join(wrong)}")


def by_origin(rows: Sequence[Example], settings: reader.Settings, show_errors: bool) -> int:
    """Each writer's train and dev rows read by a reader that learned from, and was tuned on,
    the other writers only: the nearest the corpus comes to replies from people who never saw
    it (the test split is left out of this altogether)."""
    scores: dict[str, Score] = {}
    errors: list[str] = []
    origins = sorted({e.origin for e in rows})
    for origin in origins:
        others = [e for e in rows if e.origin != origin]
        held = [e for e in rows if e.origin == origin]
        fitted = reader_training.fit([e for e in others if e.split is Split.TRAIN], settings)
        tune = [e for e in others if e.split is Split.DEV]
        fitted.thresholds = reader_training.choose_thresholds(fitted, tune)
        fitted.biases = reader_training.choose_biases(fitted, tune)
        mine: dict[str, Score] = {}
        measure(fitted, held, mine, errors)
        for lang, score in mine.items():
            if lang == "all":
                continue
            print(
                f"  {origin} ({lang}): {score.rows} rows, macro-F1 {score.macro_f1:.3f}, "
                f"safety R {score.categories['safety_harassment'].recall:.3f}"
            )
        measure(fitted, held, scores, [])
    print(f"settings {settings}: by origin, {len(origins)} writers held out in turn")
    for lang in ("en", "es", "all"):
        if lang in scores:
            print(f"held-out writers, {lang}: {scores[lang].rows} replies")
            print("\n".join(scores[lang].lines()))
    if show_errors:
        print("misread rows:")
        print("\n".join(errors))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show-errors", action="store_true", help="list misread dev rows")
    parser.add_argument(
        "--set", action="append", default=[], help="a Settings field, e.g. C_category=5"
    )
    parser.add_argument(
        "--by-origin",
        action="store_true",
        help="hold out each writer (origin) in turn: how the reader does on a voice it never saw",
    )
    args = parser.parse_args(argv)
    changes = {}
    for item in args.set:
        name, _, value = item.partition("=")
        current = getattr(reader.Settings(), name)
        parsed = ast.literal_eval(value) if isinstance(current, tuple | bool) else value
        changes[name] = type(current)(parsed)
    settings = dataclasses.replace(reader.Settings(), **changes)
    loaded = corpus.load()
    if args.by_origin:
        return by_origin(loaded.split(Split.TRAIN, Split.DEV), settings, args.show_errors)
    train = loaded.split(Split.TRAIN)
    dev = loaded.split(Split.DEV)
    started = time.perf_counter()
    fitted = reader_training.fit(train, settings)
    print(
        f"settings {settings}; fitted on {len(train)} train rows in "
        f"{time.perf_counter() - started:.0f}s; dev {len(dev)} rows"
    )
    scores: dict[str, Score] = {}
    errors: list[str] = []
    a, b = halves(dev)
    for choose_on, measure_on in ((a, b), (b, a)):
        fitted.thresholds = reader_training.choose_thresholds(fitted, choose_on)
        fitted.biases = reader_training.choose_biases(fitted, choose_on)
        print(
            f"  chosen on {len(choose_on)}: thresholds "
            f"{ {k: round(v, 3) for k, v in fitted.thresholds.items()} }"
        )
        measure(fitted, measure_on, scores, errors)
    for lang in ("en", "es", "all"):
        if lang in scores:
            print(f"dev (cross-halves), {lang}: {scores[lang].rows} replies")
            print("\n".join(scores[lang].lines()))
    if args.show_errors:
        print("misread dev rows:")
        print("\n".join(errors))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
