"""Held-out writers for several reader settings at once, side by side, sharing the slow part.

``reader_dev.py --by-origin`` fits 34 readers (one per writer held out) for one setting: half an
hour on the shared machine. Settings that change only how a fitted reader decides (thresholds,
the safety recall asked of dev, the opt-out bar, the naive Bayes share, which is fitted in
milliseconds) need not refit its regressions, so each writer's reader is fitted once here and
every variant is chosen on the other writers' dev rows and measured on the held-out writer as
``reader_dev.py --by-origin --set ...`` would measure it. Baseline first, in the same run:

    .venv/bin/python benchmarks/reader_variants.py "nb:nb_weight=0.25" "bar:opt_out_act=0.9"
    [--rows rows.jsonl]   # every reading, for looking at misses afterwards
    [--unseen helper-s4-] # only those writers, held out together: one reader that saw none of them
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sklearn.naive_bayes import ComplementNB  # noqa: E402

from outreach.keywords import Keyword, classify  # noqa: E402
from surveys import corpus, reader, reader_training  # noqa: E402
from surveys.analysis import analyze  # noqa: E402
from surveys.corpus import Example, Split  # noqa: E402
from surveys.evaluation import Counts, Score  # noqa: E402

# The settings a variant may change: none of them is used to fit the regressions.
DECIDING = {
    "safety_recall",
    "safety_floor",
    "opt_out_min",
    "opt_out_act",
    "opt_out_elsewhere",
    "nb_weight",
    "nb_alpha",
    # The opt-out model is fitted with every reader here; a variant without it sets it aside.
    "opt_out_words",
    "opt_out_words_act",
    "opt_out_words_unnamed",
}


def parse(spec: str) -> tuple[str, reader.Settings]:
    name, _, assignments = spec.partition(":")
    changes: dict[str, object] = {}
    for item in filter(None, assignments.split(",")):
        field, _, value = item.partition("=")
        if field not in DECIDING:
            raise SystemExit(f"{field} changes the fit: use reader_dev.py --by-origin --set")
        current = getattr(reader.Settings(), field)
        changes[field] = value == "True" if isinstance(current, bool) else type(current)(value)
    return name, dataclasses.replace(reader.Settings(), **changes)


def variant(
    base: reader.Reader, settings: reader.Settings, rows: Sequence[Example]
) -> reader.Reader:
    nb = None
    if settings.nb_weight > 0:
        x = base.features([e.text for e in rows])
        ngrams = x[:, : len(base.words.vocabulary_) + len(base.chars.vocabulary_)]
        nb = ComplementNB(alpha=settings.nb_alpha).fit(ngrams, [e.category for e in rows])
    opt_out_model = base.opt_out_model if settings.opt_out_words else None
    return dataclasses.replace(base, settings=settings, nb_model=nb, opt_out_model=opt_out_model)


@dataclasses.dataclass
class Tally:
    score: dict[str, Score] = dataclasses.field(default_factory=dict)
    # Opt-outs the model sent to "Needs a look" instead of acting on: right and wrong ones.
    flagged: dict[str, Counts] = dataclasses.field(default_factory=dict)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variants", nargs="*", help='"name:field=value,field=value"')
    parser.add_argument("--rows", type=Path, help="write every reading here (JSON lines)")
    parser.add_argument("--writers", type=int, help="only the first N writers (a quick look)")
    parser.add_argument(
        "--unseen",
        metavar="PREFIX",
        help="hold out together every writer whose origin starts so (fresh writers), no other",
    )
    args = parser.parse_args(argv)
    variants = [("baseline", reader.Settings()), *map(parse, args.variants)]
    rows = corpus.load().split(Split.TRAIN, Split.DEV)
    tallies = {name: Tally() for name, _ in variants}
    out = args.rows.open("w") if args.rows else None
    origins = sorted({e.origin for e in rows})[: args.writers]
    groups = [{origin} for origin in origins]
    if args.unseen:
        groups = [{origin for origin in origins if origin.startswith(args.unseen)}]
    started = time.perf_counter()
    for n, group in enumerate(groups, 1):
        origin = ",".join(sorted(group))
        others = [e for e in rows if e.origin not in group]
        held = [e for e in rows if e.origin in group]
        train = [e for e in others if e.split is Split.TRAIN]
        tune = [e for e in others if e.split is Split.DEV]
        base = reader_training.fit(
            train, dataclasses.replace(reader.Settings(), opt_out_words=True)
        )
        for name, settings in variants:
            candidate = variant(base, settings, train)
            candidate.thresholds = reader_training.choose_thresholds(candidate, tune)
            candidate.biases = reader_training.choose_biases(candidate, tune)
            tally = tallies[name]
            for e in held:
                got = analyze(e.text, 5, e.lang, using=candidate)
                for lang in (e.lang, "all"):
                    tally.score.setdefault(lang, Score()).add(
                        got, e, got.rating, e.rating, with_rating=True
                    )
                    flagged = "opt_out" in got.unsure and not got.opt_out
                    tally.flagged.setdefault(lang, Counts()).add(flagged, e.opt_out)
                if out:
                    record = {
                        "variant": name,
                        "origin": e.origin,
                        "text": e.text,
                        "lang": e.lang,
                        "want": [e.category, e.negative, e.quit_intent, e.opt_out],
                        "got": [got.category, got.negative, got.quit_intent, got.opt_out],
                        "keyword": classify(e.text) is Keyword.OPT_OUT,
                        "unsure": list(got.unsure),
                        "p": got.probabilities,
                        "thresholds": candidate.thresholds,
                    }
                    out.write(json.dumps(record) + "\n")
        print(f"  {n}/{len(groups)} {origin}: {time.perf_counter() - started:.0f}s", flush=True)
    for name, settings in variants:
        print(f"\n== {name}: {settings}")
        for lang in [k for k in ("en", "es", "all") if k in tallies[name].score]:
            score, flagged = tallies[name].score[lang], tallies[name].flagged[lang]
            print(f"held-out writers, {lang}: {score.rows} replies")
            print("\n".join(score.lines()))
            acted = score.labels["opt_out"]
            either = (acted.tp + flagged.tp) / max(1, acted.support)
            print(
                f"  opt-outs flagged for a look: {flagged.tp} right, {flagged.fp} wrong; "
                f"acted-on or flagged recall {either:.3f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
