"""Charts drawn on the server as SVG: readable with no JavaScript, printable, and escaped by
the template like any other text. This module only does the geometry; the ``chart`` macro in
``templates/staff/_chart.html`` draws it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Protocol

from surveys.analysis import mood

WIDTH = 640.0
LEFT = 52.0
RIGHT = 20.0
MARKERS = ("circle", "square", "diamond", "triangle")


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str  # what a hover (or a screen reader reading the SVG) says about it


@dataclass(frozen=True)
class Series:
    name: str
    css: str  # class name that sets its colour
    marker: str  # one of MARKERS, so the series differ by shape as well as colour
    points: list[Point]
    path: str  # SVG path data; a gap (no value) starts a new segment


@dataclass(frozen=True)
class Tick:
    pos: float
    label: str


@dataclass(frozen=True)
class Panel:
    title: str
    top: float
    bottom: float
    y_ticks: list[Tick]
    series: list[Series]
    baseline: float | None = None  # where zero is, when the scale crosses it


@dataclass(frozen=True)
class Chart:
    title: str
    description: str
    width: float
    height: float
    x_ticks: list[Tick]
    panels: list[Panel]
    left: float = LEFT
    right: float = WIDTH - RIGHT

    @property
    def series(self) -> list[Series]:
        return [s for p in self.panels for s in p.series]


def _scale(value: float, lo: float, hi: float, out_lo: float, out_hi: float) -> float:
    if hi == lo:
        return (out_lo + out_hi) / 2
    return out_lo + (value - lo) * (out_hi - out_lo) / (hi - lo)


def _path(points: Sequence[Point | None]) -> str:
    parts: list[str] = []
    pen_down = False
    for point in points:
        if point is None:
            pen_down = False
            continue
        parts.append(f"{'L' if pen_down else 'M'}{point.x:.1f},{point.y:.1f}")
        pen_down = True
    return " ".join(parts)


def _day(value: date) -> str:
    return f"{value:%b} {value.day}"


def _spaced(ticks: list[Tick], gap: float = 76.0) -> list[Tick]:
    """Drop labels that would overlap the one before."""
    kept: list[Tick] = []
    for tick in ticks:
        if not kept or tick.pos - kept[-1].pos >= gap:
            kept.append(tick)
    return kept


class Rated(Protocol):
    @property
    def created_at(self) -> datetime: ...
    @property
    def rating(self) -> int | None: ...
    @property
    def scale_max(self) -> int: ...
    @property
    def polarity(self) -> float: ...
    @property
    def negative(self) -> bool: ...
    @property
    def probabilities(self) -> dict[str, float] | None: ...


def trend_chart(replies: Sequence[Rated], title: str) -> Chart | None:
    """Rating (out of 5, whatever the survey's scale) above how the words read (-1 to +1, see
    :func:`surveys.analysis.mood`), on one time axis. None when there is nothing to draw."""
    if not replies:
        return None
    first = min(r.created_at for r in replies).timestamp()
    last = max(r.created_at for r in replies).timestamp()
    left, right = LEFT + 12, WIDTH - RIGHT - 12

    def x(reply: Rated) -> float:
        return _scale(reply.created_at.timestamp(), first, last, left, right)

    rating_top, rating_bottom = 34.0, 150.0
    ratings = [
        Point(
            x(r),
            _scale(r.rating / r.scale_max * 5, 0, 5, rating_bottom, rating_top),
            f"{_day(r.created_at.date())}: rated {r.rating} of {r.scale_max}",
        )
        for r in replies
        if r.rating is not None
    ]
    mood_top, mood_bottom = 196.0, 296.0
    moods = [
        Point(
            x(r),
            _scale(mood(r), -1, 1, mood_bottom, mood_top),
            f"{_day(r.created_at.date())}: words read {mood(r):+.2f}",
        )
        for r in replies
    ]
    panels = [
        Panel(
            "Rating, out of 5",
            rating_top,
            rating_bottom,
            [Tick(_scale(v, 0, 5, rating_bottom, rating_top), str(v)) for v in (1, 3, 5)],
            [Series("Rating", "series-rating", "circle", ratings, _path(ratings))],
        ),
        Panel(
            "How the words read, -1 (a problem) to +1 (all good)",
            mood_top,
            mood_bottom,
            [
                Tick(_scale(v, -1, 1, mood_bottom, mood_top), f"{v:+g}" if v else "0")
                for v in (-1, 0, 1)
            ],
            [Series("Words", "series-sentiment", "square", moods, _path(moods))],
            baseline=_scale(0, -1, 1, mood_bottom, mood_top),
        ),
    ]
    days = sorted({r.created_at.date() for r in replies})
    step = max(1, round(len(days) / 6))

    def day_x(day: date) -> float:
        noon = datetime.combine(day, time(12), UTC).timestamp()
        return _scale(min(max(noon, first), last), first, last, left, right)

    x_ticks = _spaced([Tick(day_x(d), _day(d)) for d in days[::step]])
    rated = [r for r in replies if r.rating is not None]
    summary = (
        f"{len(replies)} replies from {_day(days[0])} to {_day(days[-1])}. "
        + (
            f"Latest rating {rated[-1].rating} of {rated[-1].scale_max}; "
            if rated
            else "No ratings given; "
        )
        + f"latest reply's words read {mood(replies[-1]):+.2f}."
    )
    return Chart(title, summary, WIDTH, 326.0, x_ticks, panels)


def weekly_chart(
    title: str,
    weeks: Sequence[date],
    series: Sequence[tuple[str, Sequence[float | None]]],
    y_max: float = 5.0,
    y_label: str = "Average rating, out of 5",
) -> Chart:
    """One line per group across weeks; a hidden or empty week is a gap in the line."""
    top, bottom = 34.0, 236.0
    left, right = LEFT + 16, WIDTH - RIGHT - 16
    count = len(weeks)

    def x(i: int) -> float:
        return _scale(i, 0, max(count - 1, 1), left, right) if count > 1 else (left + right) / 2

    drawn: list[Series] = []
    for n, (name, values) in enumerate(series):
        points: list[Point | None] = [
            None
            if value is None
            else Point(
                x(i),
                _scale(value, 0, y_max, bottom, top),
                f"{name}, week of {_day(weeks[i])}: {value:.1f}",
            )
            for i, value in enumerate(values)
        ]
        shown = [p for p in points if p is not None]
        drawn.append(
            Series(name, f"series-{n % 6}", MARKERS[n % len(MARKERS)], shown, _path(points))
        )
    y_ticks = [
        Tick(_scale(v, 0, y_max, bottom, top), f"{v:g}") for v in (1, 2, 3, 4, 5) if v <= y_max
    ]
    x_ticks = [Tick(x(i), _day(w)) for i, w in enumerate(weeks)]
    visible = sum(len(s.points) for s in drawn)
    description = (
        f"{len(drawn)} lines over {count} weeks from {_day(weeks[0])}; "
        f"{visible} weekly values shown."
        if weeks
        else "No weeks to show."
    )
    return Chart(
        title, description, WIDTH, 266.0, x_ticks, [Panel(y_label, top, bottom, y_ticks, drawn)]
    )
