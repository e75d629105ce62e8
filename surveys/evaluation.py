"""How well replies were read: precision, recall and F1 per label and category, per language.

One scorer for the model card (``surveys train``), the benchmark (benchmarks/triage_eval.py)
and the admin page's accuracy on staff-reviewed replies, so each says the same thing the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from surveys.categories import CATEGORIES


class Labelled(Protocol):
    @property
    def category(self) -> str: ...
    @property
    def negative(self) -> bool: ...
    @property
    def quit_intent(self) -> bool: ...
    @property
    def opt_out(self) -> bool: ...


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, predicted: bool, actual: bool) -> None:
        if predicted and actual:
            self.tp += 1
        elif predicted:
            self.fp += 1
        elif actual:
            self.fn += 1
        else:
            self.tn += 1

    @property
    def support(self) -> int:
        return self.tp + self.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "precision": round(self.precision, 3),
            "recall": round(self.recall, 3),
            "f1": round(self.f1, 3),
            "support": self.support,
            "false_positives": self.fp,
        }


BINARY_LABELS = ("negative", "quit_intent", "opt_out")


@dataclass
class Score:
    rows: int = 0
    labels: dict[str, Counts] = field(default_factory=lambda: {k: Counts() for k in BINARY_LABELS})
    categories: dict[str, Counts] = field(default_factory=lambda: {c: Counts() for c in CATEGORIES})
    ratings_right: int = 0
    rated: int = 0
    rated_right: int = 0

    def add(
        self,
        got: Labelled,
        want: Labelled,
        got_rating: int | None = None,
        want_rating: int | None = None,
        *,
        with_rating: bool = False,
    ) -> None:
        self.rows += 1
        for name, counts in self.labels.items():
            counts.add(bool(getattr(got, name)), bool(getattr(want, name)))
        for category, counts in self.categories.items():
            counts.add(got.category == category, want.category == category)
        if with_rating:
            self.ratings_right += got_rating == want_rating
            if want_rating is not None:
                self.rated += 1
                self.rated_right += got_rating == want_rating

    @property
    def present(self) -> list[str]:
        return [c for c in CATEGORIES if self.categories[c].support]

    @property
    def macro_f1(self) -> float:
        present = self.present
        return sum(self.categories[c].f1 for c in present) / len(present) if present else 0.0

    @property
    def rating_accuracy(self) -> float:
        return self.ratings_right / self.rows if self.rows else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "macro_f1": round(self.macro_f1, 3),
            "labels": {k: v.as_dict() for k, v in self.labels.items()},
            "categories": {c: self.categories[c].as_dict() for c in self.present},
            **(
                {"rating_accuracy": round(self.rating_accuracy, 3)}
                if self.ratings_right or self.rated
                else {}
            ),
        }

    def lines(self, indent: str = "  ") -> list[str]:
        out = [f"{indent}{'label':<22} {'P':>5} {'R':>5} {'F1':>5}  support"]
        for name, counts in [
            *self.labels.items(),
            *((c, self.categories[c]) for c in self.present),
        ]:
            out.append(
                f"{indent}{name:<22} {counts.precision:5.3f} {counts.recall:5.3f} "
                f"{counts.f1:5.3f}  {counts.support} (fp {counts.fp})"
            )
        out.append(f"{indent}category macro-F1       {self.macro_f1:5.3f} over {len(self.present)}")
        if self.rows and (self.ratings_right or self.rated):
            out.append(
                f"{indent}rating accuracy        {self.rating_accuracy:5.3f} "
                f"({self.rated_right}/{self.rated} of the rows with a rating)"
            )
        return out
