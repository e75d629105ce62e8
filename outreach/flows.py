"""Survey flows as data: a few steps, each asking one question, branching on the answer.

A flow is stored on the survey (``Survey.flow``) as JSON that staff edit::

    {"first": "score", "timeout_hours": 24,
     "steps": {"score": {"kind": "nps", "text": {"en": "...", "es": "..."},
                         "branches": [{"when": {"min": 0, "max": 6}, "goto": "what_happened"},
                                      {"goto": "end:thanks"}]}},
     "endings": {"thanks": {"en": "...", "es": "..."}}}

A branch's ``when`` is a score band (``min``/``max``), a yes/no ``answer``, a ``choice`` or a
``category`` the reader found; a branch without ``when`` is taken when none before it matched.
``goto`` names a step, ``end:<ending>`` (a closing message) or ``end`` (close quietly); a
branch may make a ``task`` for staff (a referral for recruiting, a redeployment for Care).

The first step's texts are the survey's own SMS texts (the invitation sends them, with its one
reminder); later steps go out as follow-up messages. A survey without a flow is the one-step
flow it always was. Nothing here touches the database: :mod:`surveys.conversations` runs it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from outreach import templates


class StepKind(StrEnum):
    RATING = "rating"  # 1-5
    NPS = "nps"  # 0-10
    YES_NO = "yes_no"
    CHOICE = "choice"
    TEXT = "text"


class TaskKind(StrEnum):
    REFERRAL = "referral"  # for recruiting: the name and number the contractor gave
    REDEPLOYMENT = "redeployment"  # for Care: they want another assignment


SCALES = {StepKind.RATING: (1, 5), StepKind.NPS: (0, 10)}
DEFAULT_TIMEOUT_HOURS = 24
MAX_STEPS = 8
END = "end"


class FlowError(ValueError):
    """A flow that cannot run; the message names the field (``steps.score.branches[1].goto``)."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where


@dataclass(frozen=True)
class Branch:
    goto: str
    when: Mapping[str, Any] = field(default_factory=dict)
    task: TaskKind | None = None

    def matches(self, answer: Answer) -> bool:
        when = self.when
        if not when:
            return True
        if "min" in when or "max" in when:
            if answer.score is None:
                return False
            return int(when.get("min", -1)) <= answer.score <= int(when.get("max", 10**6))
        if "answer" in when:
            return answer.yes is not None and answer.yes == (when["answer"] == "yes")
        if "choice" in when:
            return answer.choice == when["choice"]
        if "category" in when:
            return answer.category == when["category"]
        return False


@dataclass(frozen=True)
class Step:
    key: str
    kind: StepKind
    text: Mapping[str, str]
    branches: tuple[Branch, ...] = ()
    options: tuple[str, ...] = ()

    def text_in(self, language: str) -> str:
        return self.text.get(language) or self.text["en"]

    def scale(self) -> tuple[int, int] | None:
        return SCALES.get(self.kind)


@dataclass(frozen=True)
class Answer:
    """What a reply said, read for one step. ``fits`` is False for text where a number (or a
    yes/no, or a choice) was asked: kept as a comment, and the step is asked again once."""

    text: str
    fits: bool
    score: int | None = None
    yes: bool | None = None
    choice: str | None = None
    category: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "fits": self.fits,
            "score": self.score,
            "yes": self.yes,
            "choice": self.choice,
            "category": self.category,
        }


@dataclass(frozen=True)
class Flow:
    first: str
    steps: Mapping[str, Step]
    endings: Mapping[str, Mapping[str, str]]
    timeout_hours: float = DEFAULT_TIMEOUT_HOURS

    def step(self, key: str) -> Step:
        return self.steps[key]

    def branch_for(self, key: str, answer: Answer) -> Branch | None:
        for branch in self.step(key).branches:
            if branch.matches(answer):
                return branch
        return None

    def ending_text(self, goto: str, language: str) -> str | None:
        """The closing message a ``goto`` ends with, or None for a quiet close."""
        if not goto.startswith(END + ":"):
            return None
        texts = self.endings[goto.split(":", 1)[1]]
        return texts.get(language) or texts["en"]

    def texts(self) -> list[tuple[str, str, str]]:
        """Every SMS text of the flow: (where, language, template), steps then endings."""
        found = []
        for key, step in self.steps.items():
            for language in templates.LANGUAGES:
                found.append((f"steps.{key}", language, step.text_in(language)))
        for key, texts in self.endings.items():
            for language in templates.LANGUAGES:
                found.append((f"endings.{key}", language, texts.get(language) or texts["en"]))
        return found


def _texts(raw: Any, where: str) -> dict[str, str]:
    if not isinstance(raw, Mapping):
        raise FlowError(where, 'give the texts as {"en": "...", "es": "..."}')
    texts = {}
    for language in templates.LANGUAGES:
        value = raw.get(language)
        if not isinstance(value, str) or not value.strip():
            raise FlowError(f"{where}.{language}", "every text needs English and Spanish")
        problem = templates.placeholders_problem(value)
        if problem:
            raise FlowError(f"{where}.{language}", problem)
        texts[language] = value.strip()
    return texts


def _branch(raw: Any, where: str, kind: StepKind, options: tuple[str, ...]) -> Branch:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("goto"), str):
        raise FlowError(where, 'a branch is {"when": {...}, "goto": "step or end:ending"}')
    when = raw.get("when") or {}
    if not isinstance(when, Mapping):
        raise FlowError(f"{where}.when", "must be an object")
    scale = SCALES.get(kind)
    for name, value in when.items():
        if name in ("min", "max"):
            if scale is None or not isinstance(value, int) or not scale[0] <= value <= scale[1]:
                raise FlowError(f"{where}.when.{name}", f"a {kind} step has no score {value!r}")
        elif name == "answer":
            if kind != StepKind.YES_NO or value not in ("yes", "no"):
                raise FlowError(f"{where}.when.answer", 'only a yes_no step, "yes" or "no"')
        elif name == "choice":
            if value not in options:
                raise FlowError(f"{where}.when.choice", f"{value!r} is not one of the options")
        elif name != "category":
            raise FlowError(f"{where}.when.{name}", "use min/max, answer, choice or category")
    task = raw.get("task")
    if task is not None and task not in TaskKind.__members__.values():
        raise FlowError(f"{where}.task", f"use {' or '.join(TaskKind)}")
    return Branch(goto=raw["goto"], when=dict(when), task=TaskKind(task) if task else None)


def _step(key: str, raw: Any) -> Step:
    where = f"steps.{key}"
    if not isinstance(raw, Mapping):
        raise FlowError(where, "a step is an object with kind, text and branches")
    try:
        kind = StepKind(str(raw.get("kind")))
    except ValueError:
        raise FlowError(f"{where}.kind", f"use one of {', '.join(StepKind)}") from None
    options = tuple(str(o) for o in raw.get("options") or ())
    if kind == StepKind.CHOICE and len(options) < 2:
        raise FlowError(f"{where}.options", "a choice step needs two options or more")
    branches = raw.get("branches") or []
    if not isinstance(branches, list):
        raise FlowError(f"{where}.branches", "must be a list")
    return Step(
        key=key,
        kind=kind,
        text=_texts(raw.get("text"), f"{where}.text"),
        branches=tuple(
            _branch(b, f"{where}.branches[{i}]", kind, options) for i, b in enumerate(branches)
        ),
        options=options,
    )


def parse(raw: Any) -> Flow:
    """A flow from its JSON, checked: every goto leads somewhere, no step comes back to one
    before it (a conversation always ends), every text in English and Spanish.

    Raises:
        FlowError: naming the field that is wrong.
    """
    if not isinstance(raw, Mapping):
        raise FlowError("flow", "must be an object with first, steps and endings")
    steps_raw = raw.get("steps")
    if not isinstance(steps_raw, Mapping) or not steps_raw:
        raise FlowError("steps", "a flow needs at least one step")
    if len(steps_raw) > MAX_STEPS:
        raise FlowError("steps", f"keep a flow to {MAX_STEPS} steps")
    steps = {str(k): _step(str(k), v) for k, v in steps_raw.items()}
    endings_raw = raw.get("endings") or {}
    if not isinstance(endings_raw, Mapping):
        raise FlowError("endings", "must be an object")
    endings = {str(k): _texts(v, f"endings.{k}") for k, v in endings_raw.items()}
    first = raw.get("first")
    if first not in steps:
        raise FlowError("first", f"{first!r} is not a step")
    if steps[first].kind == StepKind.TEXT:
        raise FlowError("first", "the first step asks for a rating, a score, yes/no or a choice")
    timeout = raw.get("timeout_hours", DEFAULT_TIMEOUT_HOURS)
    if not isinstance(timeout, int | float) or not 1 <= timeout <= 24 * 14:
        raise FlowError("timeout_hours", "give hours between 1 and 336")
    flow = Flow(first=first, steps=steps, endings=endings, timeout_hours=float(timeout))
    _check_paths(flow)
    return flow


def _check_paths(flow: Flow) -> None:
    order = {key: i for i, key in enumerate(_reachable(flow))}
    for key, step in flow.steps.items():
        if key not in order:
            raise FlowError(f"steps.{key}", "no branch leads here")
        for i, branch in enumerate(step.branches):
            where = f"steps.{key}.branches[{i}].goto"
            goto = branch.goto
            if goto == END:
                continue
            if goto.startswith(END + ":"):
                if goto.split(":", 1)[1] not in flow.endings:
                    raise FlowError(where, f"{goto!r} names no ending")
            elif goto not in flow.steps:
                raise FlowError(where, f"{goto!r} is not a step")
            elif order[goto] <= order[key]:
                raise FlowError(where, f"{goto!r} comes back to an earlier step")


def _reachable(flow: Flow) -> list[str]:
    """Steps in the order a conversation can reach them (breadth first from the first)."""
    seen, queue = [flow.first], [flow.first]
    while queue:
        for branch in flow.steps[queue.pop(0)].branches:
            if branch.goto in flow.steps and branch.goto not in seen:
                seen.append(branch.goto)
                queue.append(branch.goto)
    return seen


def survey_fields(flow: Flow) -> dict[str, Any]:
    """What the survey row takes from its flow: the first step is what the invitation sends."""
    first = flow.step(flow.first)
    scale = first.scale()
    return {
        "sms_template": first.text["en"],
        "spanish_sms": first.text["es"],
        "scale_max": scale[1] if scale else 5,
    }


@dataclass(frozen=True)
class SmsPreview:
    where: str
    language: str
    text: str  # filled with long sample values
    segments: int
    encoding: str
    odd: str  # the characters outside GSM-7, in words; "" when none


def preview(flow: Flow) -> list[SmsPreview]:
    """Every SMS of the flow in both languages, with its segments and encoding."""
    shown = []
    for where, language, template in flow.texts():
        check = templates.check_sms_template(template, language)
        shown.append(
            SmsPreview(
                where=where,
                language=language,
                text=template.format(**templates.PLACEHOLDERS),
                segments=check.segments,
                encoding=check.encoding,
                odd="; ".join(o.describe() for o in check.odd[:5]),
            )
        )
    return shown
