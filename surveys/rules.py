"""The reading rules in ``rules.toml``: loaded and compiled once per process.

Staff write patterns in a small, readable dialect of regular expressions (the file's header
explains it); this module turns each into a compiled regex and checks every table, naming the
rule and field at fault when something is wrong.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

RULES_PATH = Path(__file__).with_name("rules.toml")

CATEGORIES = (
    "timecard_pay",
    "hours_scope",
    "client_conflict",
    "equipment_access",
    "safety_harassment",
    "contact_request",
    "how_to",
    "none",
)
PRIORITIES = ("urgent", "high", "normal", "low")

_NUMBER = r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|a few|a couple|several|many)"
# "...": up to six words in between, inside one sentence.
_GAP = r"(?:[^\w.!?]+[\w']+){0,6}?[^\w.!?]+"


class RulesError(ValueError):
    """rules.toml is malformed; the message names the table and field."""


@dataclass(frozen=True)
class Rule:
    id: str
    regex: re.Pattern[str]
    category: str = "none"
    priority: str | None = None

    def search(self, text: str) -> re.Match[str] | None:
        return self.regex.search(text)


@dataclass(frozen=True)
class Ruleset:
    tickets: tuple[Rule, ...]  # most urgent first, then in file order
    quit_intent: tuple[Rule, ...]
    problem_cues: tuple[Rule, ...]
    all_clear: tuple[Rule, ...]
    problem_categories: frozenset[str]
    polarity_below: float
    compound_at_most: float
    low_rating_share: float
    high_rating_share: float


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Compile one pattern of the rules dialect (see the header of rules.toml)."""
    source = pattern.strip()
    source = source.replace(" ... ", "\0GAP\0")
    source = re.sub(r"(?<=\w)\*", r"\\w*", source)
    source = source.replace("'", "'?").replace("#", _NUMBER)
    source = re.sub(r" +", r"\\s+", source)
    source = source.replace("\0GAP\0", _GAP)
    return re.compile(rf"(?<![\w']){source}(?!\w)", re.IGNORECASE)


def _require(table: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(table, dict):
        raise RulesError(f"{where}: must be a table")
    if key not in table:
        raise RulesError(f"{where}: missing field '{key}'")
    value = table[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        name = "number" if isinstance(kind, tuple) else kind.__name__
        raise RulesError(f"{where}: field '{key}' must be a {name}")
    return value


def _rules(data: dict[str, Any], section: str, *, ticket: bool = False) -> list[Rule]:
    tables = data.get(section, [])
    if not isinstance(tables, list):
        raise RulesError(f"rules.toml: '{section}' must be written as [[{section}]] tables")
    rules = []
    seen: set[str] = set()
    for number, table in enumerate(tables, start=1):
        where = f"rules.toml [[{section}]] #{number}"
        rule_id = _require(table, "id", str, where)
        where = f"rules.toml [[{section}]] id={rule_id!r}"
        if rule_id in seen:
            raise RulesError(f"{where}: duplicate id")
        seen.add(rule_id)
        patterns = _require(table, "patterns", list, where)
        if not patterns or not all(isinstance(p, str) and p.strip() for p in patterns):
            raise RulesError(f"{where}: field 'patterns' must be a list of non-empty strings")
        try:
            regex = compile_pattern("|".join(f"(?:{p.strip()})" for p in patterns))
        except re.error:
            for p in patterns:  # name the one pattern that does not compile
                try:
                    compile_pattern(p)
                except re.error as exc:
                    raise RulesError(f"{where}: pattern {p!r} does not compile: {exc}") from exc
            raise
        if not ticket:
            rules.append(Rule(id=rule_id, regex=regex))
            continue
        category = _require(table, "category", str, where)
        if category not in CATEGORIES or category == "none":
            raise RulesError(f"{where}: unknown category {category!r}")
        priority = _require(table, "priority", str, where)
        if priority not in PRIORITIES:
            raise RulesError(f"{where}: priority must be one of {', '.join(PRIORITIES)}")
        rules.append(Rule(id=rule_id, regex=regex, category=category, priority=priority))
    return rules


def parse(text: str) -> Ruleset:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"rules.toml: {exc}") from exc
    tickets = _rules(data, "rule", ticket=True)
    tickets.sort(key=lambda rule: PRIORITIES.index(rule.priority or "low"))  # stable: file order

    categories = data.get("categories", {})
    problems = _require(categories, "problems", list, "rules.toml [categories]")
    unknown = [c for c in problems if c not in CATEGORIES or c == "none"]
    if unknown:
        raise RulesError(f"rules.toml [categories]: unknown problems {unknown}")

    sentiment = data.get("sentiment", {})
    where = "rules.toml [sentiment]"
    return Ruleset(
        tickets=tuple(tickets),
        quit_intent=tuple(_rules(data, "quit_intent")),
        problem_cues=tuple(_rules(data, "problem_cue")),
        all_clear=tuple(_rules(data, "all_clear")),
        problem_categories=frozenset(problems),
        polarity_below=float(_require(sentiment, "polarity_below", (int, float), where)),
        compound_at_most=float(_require(sentiment, "compound_at_most", (int, float), where)),
        low_rating_share=float(_require(sentiment, "low_rating_share", (int, float), where)),
        high_rating_share=float(_require(sentiment, "high_rating_share", (int, float), where)),
    )


@cache
def ruleset(path: Path = RULES_PATH) -> Ruleset:
    """The rules in ``path`` (by default the packaged rules.toml), read once per process."""
    return parse(path.read_text(encoding="utf-8"))
