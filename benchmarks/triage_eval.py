"""How well reply analysis reads labelled replies, per language, and how fast.

Prints, per language: the figures on the corpus test split (surveys/corpus, never used to choose
anything); on the dev files in ../shared/data (contractor_replies_dev.csv) and on
benchmarks/data/heldout_replies.csv (both English, written apart from the corpus); negative
precision and recall on the airline tweets; and replies per second through ``analyze()`` next
to TextBlob + VADER alone on the same texts, on one core, with the process's peak RSS.

    .venv/bin/python benchmarks/triage_eval.py [--data DIR] [--speed-texts N] [--show-errors]
"""

from __future__ import annotations

import os

# One core: the speed goal is per core, and BLAS would otherwise spread one reply over two.
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402
import csv  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from textblob import TextBlob  # noqa: E402
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer  # noqa: E402

from surveys import corpus, reader, sentiment  # noqa: E402
from surveys.analysis import Analysis, analyze  # noqa: E402
from surveys.corpus import Example, Split, read_rows  # noqa: E402
from surveys.evaluation import Counts, Score  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
# Written before anyone read the rules (see its README): how the rules do on unseen wording.
HELDOUT = Path(__file__).resolve().parent / "data" / "heldout_replies.csv"

# The corpus files the first reader was measured on: their test rows alone compare with the
# figures reported before rows were added in later files.
FIRST_CORPUS = frozenset(
    {
        "en_emails.csv",
        "en_hard_cases.csv",
        "en_healthcare.csv",
        "en_it_office_callcenter.csv",
        "en_plain_direct.csv",
        "en_trades_hospitality.csv",
        "en_warehouse_drivers.csv",
        "es_care_hospitality_office.csv",
        "es_plain_direct.csv",
        "es_warehouse_field.csv",
    }
)

# Label strings pasted into some tweets (see the data README): the original word comes back.
_PASTED = [
    (re.compile(r"Cancelled Flight"), "cancel"),
    (re.compile(r"Late Flight"), "late"),
    (re.compile(r"Flight Booking Problems"), "book"),
]


def undo_pasted_labels(text: str) -> str:
    for pattern, word in _PASTED:
        text = pattern.sub(word, text)
    return text


def _examples(path: Path) -> list[Example]:
    with path.open(newline="", encoding="utf-8") as f:
        return [e for e in read_rows(csv.DictReader(f), path.name) if isinstance(e, Example)]


def score_examples(
    examples: Sequence[Example], show_errors: bool
) -> tuple[dict[str, Score], list[str]]:
    scores: dict[str, Score] = {}
    errors: list[str] = []
    for example in examples:
        result = analyze(example.text, 5, example.lang)
        for lang in {example.lang, "all"}:
            scores.setdefault(lang, Score()).add(
                result, example, result.rating, example.rating, with_rating=True
            )
        wrong = [
            name
            for name, got, want in (
                ("negative", result.negative, example.negative),
                ("category", result.category, example.category),
                ("quit", result.quit_intent, example.quit_intent),
                ("opt_out", result.opt_out, example.opt_out),
                ("rating", result.rating, example.rating),
            )
            if got != want
        ]
        if wrong and show_errors:
            errors.append(f"    {example.text!r}: {', '.join(wrong)} -> {_brief(result)}")
    return scores, errors


GOALS = (
    "goals (blind sets): negative R >= .90 at P >= .88; category macro-F1 >= .85; "
    "safety_harassment R >= .95; opt_out R >= .98 with 0 false; quit_intent R >= .85; rating "
    "accuracy >= .97; Spanish negative R >= .85, macro-F1 >= .75, opt_out R >= .95"
)


def report(title: str, examples: Sequence[Example], show_errors: bool) -> None:
    scores, errors = score_examples(examples, show_errors)
    for lang in sorted(scores, key=lambda k: (k == "all", k)):
        if lang == "all" and len(scores) == 2:
            continue  # one language: "all" says the same again
        print(f"{title}, {lang}: {scores[lang].rows} replies")
        print("\n".join(scores[lang].lines()))
    if errors:
        print("  misread rows:")
        print("\n".join(errors))


def _brief(result: Analysis) -> str:
    return (
        f"negative={result.negative} category={result.category} quit={result.quit_intent} "
        f"opt_out={result.opt_out} rating={result.rating} unsure={list(result.unsure)}"
    )


def load_airline(path: Path) -> list[tuple[str, bool]]:
    with path.open(newline="", encoding="utf-8") as f:
        return [
            (undo_pasted_labels(row["text"]), row["airline_sentiment"] == "negative")
            for row in csv.DictReader(f)
        ]


def evaluate_airline(tweets: Sequence[tuple[str, bool]], path: Path) -> None:
    counts = Counts()
    for text, actual in tweets:
        counts.add(analyze(text, 5, "en").negative, actual)
    print(f"airline tweets, en ({path.name}, {len(tweets)} rows, negative vs the rest)")
    print(
        f"  negative  P {counts.precision:5.3f}  R {counts.recall:5.3f}  F1 {counts.f1:5.3f}"
        f"  (tp {counts.tp}, fp {counts.fp}, fn {counts.fn})"
    )


def _rates(
    works: Sequence[Callable[[str], object]], texts: Sequence[str], rounds: int
) -> list[float]:
    """Texts per second for each function: best round, rounds interleaved so that load from
    other processes falls on all of them alike. Caches are emptied before every round, so no
    text is ever scored from an earlier round's work."""
    best = [float("inf")] * len(works)
    for _ in range(rounds):
        for index, work in enumerate(works):
            sentiment.score.cache_clear()
            started = time.perf_counter()
            for text in texts:
                work(text)
            best[index] = min(best[index], time.perf_counter() - started)
    return [len(texts) / seconds for seconds in best]


def measure_speed(label: str, texts: Sequence[str]) -> None:
    vader = SentimentIntensityAnalyzer()

    def baseline(text: str) -> object:
        return TextBlob(text).sentiment, vader.polarity_scores(text)

    for text in texts[:50]:  # warm every path: lazy imports, regex caches
        baseline(text)
        analyze(text)
    rounds = 3
    ours, theirs = _rates([analyze, baseline], texts, rounds)
    print(f"speed on {len(texts)} {label} (best of {rounds} interleaved rounds, one core)")
    print(f"  analyze()                          {ours:8.0f} replies/s  goal >= 300")
    print(f"  TextBlob(t).sentiment + VADER      {theirs:8.0f} texts/s")
    print(f"  ratio                              {ours / theirs:8.2f}x")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="evaluation data folder")
    parser.add_argument("--speed-texts", type=int, default=2000, help="texts timed for speed")
    parser.add_argument(
        "--show-errors",
        action="store_true",
        help="list misread rows of the dev and held-out files (never of the test split)",
    )
    parser.add_argument("--heldout", type=Path, default=HELDOUT, help="held-out labelled replies")
    args = parser.parse_args(argv)

    dev, airline = args.data / "contractor_replies_dev.csv", args.data / "airline_tweets.csv"
    for path in (dev, airline, args.heldout):
        if not path.is_file():
            parser.error(f"{path} not found (use --data to point at the evaluation data)")
    started = time.perf_counter()
    current = reader.current()
    print(f"reader {current.version} (loaded or built in {time.perf_counter() - started:.1f}s)")
    print(GOALS)
    print()
    loaded = corpus.load()
    # Never lists the test split's misread rows: reading them would be choosing by them.
    test = loaded.split(Split.TEST)
    report("corpus test split", test, show_errors=False)
    print()
    first = [e for e in test if e.where.split(":")[0] in FIRST_CORPUS]
    report("corpus test split, rows of the first corpus only", first, show_errors=False)
    print()
    report(f"dev file {dev.name}", _examples(dev), args.show_errors)
    print()
    report(f"held-out file {args.heldout.name}", _examples(args.heldout), args.show_errors)
    print()
    tweets = load_airline(airline)
    evaluate_airline(tweets, airline)
    print()
    replies = [e.text for e in loaded.examples]
    random.Random(0).shuffle(replies)
    measure_speed("corpus replies, English and Spanish", replies[: args.speed_texts])
    measure_speed("airline tweets", [text for text, _ in tweets[: args.speed_texts]])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"peak RSS of this process (reader, lingua, TextBlob, VADER loaded): {peak:.0f} MB"
        "  goal < 600 MB"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
