"""``surveys train``: rebuild the reader from the corpus and staff corrections, measure it,
write it with its model card, and make it current.

Deterministic: the same corpus and corrections give the same reader and the same version.
The test split is measured here and nowhere used to choose anything.
"""

from __future__ import annotations

import platform
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from sqlalchemy import select
from sqlalchemy.orm import Session

from surveys import corpus as corpus_module
from surveys import reader as reader_module
from surveys import reader_training
from surveys.analysis import analyze
from surveys.corpus import Corpus, Example, Split
from surveys.evaluation import Score
from surveys.models import Correction, Response

LABELS = ("category", "negative", "quit_intent", "opt_out")


def corrections(session: Session) -> list[Example]:
    """Each reviewed reply once, as staff last labelled it."""
    latest: dict[int, tuple[Correction, Response]] = {}
    rows = session.execute(
        select(Correction, Response)
        .join(Response, Response.id == Correction.response_id)
        .order_by(Correction.id)
    )
    for correction, response in rows:
        latest[response.id] = (correction, response)
    examples = []
    for correction, response in latest.values():
        after = correction.after
        if not response.text.strip():
            continue
        examples.append(
            Example(
                text=response.text,
                rating=None,
                negative=bool(after.get("negative")),
                category=str(after.get("category", "none")),
                quit_intent=bool(after.get("quit_intent")),
                opt_out=bool(after.get("opt_out")),
                lang=response.lang or "en",
                origin="staff-correction",
                where=f"response {response.id}",
            )
        )
    return examples


@dataclass
class Trained:
    reader: reader_module.Reader
    card: str
    path: Path


def _measure(reader: reader_module.Reader, examples: Sequence[Example]) -> dict[str, Score]:
    scores: dict[str, Score] = {}
    for example in examples:
        got = analyze(example.text, 5, example.lang, using=reader)
        for lang in (example.lang, "all"):
            scores.setdefault(lang, Score()).add(
                got, example, got.rating, example.rating, with_rating=True
            )
    return scores


def _cross_validated(
    examples: Sequence[Example],
    settings: reader_module.Settings,
    thresholds: dict[str, float],
    biases: dict[str, float],
    folds: int,
) -> dict[str, Score]:
    # Folds by position after a fixed shuffle: deterministic, and each row is scored once by a
    # reader that never saw it.
    order = np.random.default_rng(0).permutation(len(examples))
    scores: dict[str, Score] = {}
    for fold in range(folds):
        held = [examples[i] for i in order[fold::folds]]
        kept = [examples[i] for n, i in enumerate(order) if n % folds != fold]
        candidate = reader_training.fit(kept, settings, thresholds)
        candidate.biases = biases
        candidate.version = f"cv{fold}"
        for lang, score in _measure(candidate, held).items():
            total = scores.setdefault(lang, Score())
            _merge(total, score)
    return scores


def _merge(total: Score, part: Score) -> None:
    total.rows += part.rows
    for mine, theirs in (
        *((total.labels[k], v) for k, v in part.labels.items()),
        *((total.categories[k], v) for k, v in part.categories.items()),
    ):
        mine.tp += theirs.tp
        mine.fp += theirs.fp
        mine.fn += theirs.fn
        mine.tn += theirs.tn
    total.ratings_right += part.ratings_right
    total.rated += part.rated
    total.rated_right += part.rated_right


def train(
    session: Session | None,
    *,
    folds: int = 5,
    where: Path | None = None,
    loaded: Corpus | None = None,
    trained_at: datetime | None = None,
) -> Trained:
    """Train, measure and save the reader; it becomes the current one for new processes."""
    loaded = loaded or corpus_module.load()
    staff = corrections(session) if session is not None else []
    reader = reader_training.train(loaded.examples, staff)
    reader.card["corpus"] = loaded.fingerprint()
    test = loaded.split(Split.TEST)
    learned_from = loaded.split(Split.TRAIN, Split.DEV)
    reader.card["test"] = {k: v.as_dict() for k, v in _measure(reader, test).items()}
    if folds > 1:
        cv = _cross_validated(
            learned_from, reader.settings, reader.thresholds, reader.biases, folds
        )
        reader.card["cross_validated"] = {k: v.as_dict() for k, v in cv.items()}
    reader.card["counts"] = _counts(loaded)
    reader.card["errors"] = loaded.errors
    if trained_at is not None:
        reader.card["trained_at"] = trained_at.isoformat()
    card = model_card(reader)
    path = reader_module.save(reader, where, card)
    reader_module.forget()
    return Trained(reader=reader, card=card, path=path)


def _counts(loaded: Corpus) -> dict[str, Any]:
    counts: dict[str, Any] = {}
    for example in loaded.examples:
        per = counts.setdefault(example.lang, {"rows": 0, "splits": {}, "categories": {}})
        per["rows"] += 1
        per["splits"][example.split] = per["splits"].get(example.split, 0) + 1
        per["categories"][example.category] = per["categories"].get(example.category, 0) + 1
    return counts


def model_card(reader: reader_module.Reader) -> str:
    """The model card in Markdown: what it learned from, how it was chosen, how well it reads."""
    card = reader.card
    lines = [
        f"# Reader {reader.version}",
        "",
        "A linear reader of contractor replies (see surveys/reader.py and docs/labelling.md).",
        f"scikit-learn {sklearn.__version__}, Python {platform.python_version()}.",
        "",
        "## What it learned from",
        "",
        f"- corpus rows by split: train {card['rows']['train']}, dev {card['rows']['dev']} "
        f"(thresholds were chosen on dev; the final reader is refitted on train + dev), "
        f"staff corrections {card['rows']['corrections']}",
    ]
    for lang, per in sorted(card.get("counts", {}).items()):
        splits = ", ".join(f"{k} {v}" for k, v in sorted(per["splits"].items()))
        cats = ", ".join(f"{k} {v}" for k, v in sorted(per["categories"].items()))
        lines.append(f"- {lang}: {per['rows']} rows ({splits}); {cats}")
    if card.get("errors"):
        lines.append(f"- rows left out for errors: {len(card['errors'])}")
    lines += ["", "## Thresholds (chosen on dev)", ""]
    lines += [f"- {k}: {v:.3f}" for k, v in sorted(card["thresholds"].items())]
    lines += ["", "Category biases (added to log-probabilities; chosen on dev):", ""]
    lines += [f"- {k}: {v:+.2f}" for k, v in sorted(card.get("biases", {}).items())]
    settings = card.get("settings", {})
    if settings.get("nb_weight"):
        lines += [
            "",
            f"Category odds: {1 - settings['nb_weight']:.2f} logistic regression + "
            f"{settings['nb_weight']:.2f} complement naive Bayes (alpha {settings['nb_alpha']}).",
        ]
    if settings.get("opt_out_act") or settings.get("opt_out_elsewhere"):
        elsewhere = ", or for a reply naming another way or time to reach them,"
        lines += [
            "",
            f"The model's own opt-out is acted on from {settings.get('opt_out_act', 0):.2f}; "
            f"below that{elsewhere if settings.get('opt_out_elsewhere') else ''} it goes to "
            "Needs a look for staff to confirm.",
        ]
    if settings.get("opt_out_words"):
        lines += [
            "",
            "An opt-out model of its own (word 1-3 and character 2-5 grams) is acted on from "
            f"{settings.get('opt_out_words_act', 0):.2f} (and above every reply on dev that is "
            "not an opt-out: its threshold above) for a reply that reports no problem, from "
            f"{settings.get('opt_out_words_unnamed', 1):.2f} for one naming none of our messages"
            + f"; from {reader_module.OPT_OUT_WORDS_LOOK:.2f} it goes to Needs a look.",
        ]
    for title, key in (
        ("Test split (never used to choose anything)", "test"),
        ("Cross-validated on train + dev", "cross_validated"),
    ):
        if key not in card:
            continue
        lines += ["", f"## {title}", ""]
        for lang, figures in sorted(card[key].items()):
            lines.append(f"### {lang}: {figures['rows']} replies, macro-F1 {figures['macro_f1']}")
            lines.append("")
            lines.append("| label | precision | recall | F1 | support |")
            lines.append("|---|---|---|---|---|")
            for name, f in [*figures["labels"].items(), *figures["categories"].items()]:
                lines.append(
                    f"| {name} | {f['precision']} | {f['recall']} | {f['f1']} | {f['support']} |"
                )
            if "rating_accuracy" in figures:
                lines.append(f"| rating accuracy | | | {figures['rating_accuracy']} | |")
            lines.append("")
    return "\n".join(lines) + "\n"
