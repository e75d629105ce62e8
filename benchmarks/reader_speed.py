"""Reading speed of two reader settings side by side: a candidate (by default the shipped
settings) against a baseline.

Both readers are trained here from the corpus (as ``surveys train --no-corrections`` would) and
timed through the whole analysis path, interleaved round by round on the same texts, so a busy
machine slows both alike; the ratio is the figure to read, not either rate:

    .venv/bin/python benchmarks/reader_speed.py --baseline nb_weight=0 [--candidate ...]
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from surveys import corpus, reader, reader_training, sentiment  # noqa: E402
from surveys.analysis import analyze  # noqa: E402


def settings_with(assignments: Sequence[str]) -> reader.Settings:
    changes: dict[str, object] = {}
    for item in assignments:
        name, _, value = item.partition("=")
        current = getattr(reader.Settings(), name)
        changes[name] = value == "True" if isinstance(current, bool) else type(current)(value)
    return dataclasses.replace(reader.Settings(), **changes)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", nargs="*", default=[], help="Settings fields, e.g. a=1")
    parser.add_argument("--candidate", nargs="*", default=[], help="Settings fields, e.g. a=1")
    parser.add_argument("--texts", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    examples = corpus.load().examples
    readers = {
        "baseline": reader_training.train(examples, settings=settings_with(args.baseline)),
        "candidate": reader_training.train(examples, settings=settings_with(args.candidate)),
    }
    texts = [e.text for e in examples]
    random.Random(0).shuffle(texts)
    texts = texts[: args.texts]
    for using in readers.values():
        for text in texts[:50]:  # warm every path: lazy imports, caches
            analyze(text, using=using)
    best = dict.fromkeys(readers, float("inf"))
    for _ in range(args.rounds):
        for name, using in readers.items():
            sentiment.score.cache_clear()
            started = time.perf_counter()
            for text in texts:
                analyze(text, using=using)
            best[name] = min(best[name], time.perf_counter() - started)
    for name, using in readers.items():
        print(f"  {name:<9} {using.settings}: {len(texts) / best[name]:6.0f} replies/s")
    print(f"  candidate / baseline speed: {best['baseline'] / best['candidate']:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
