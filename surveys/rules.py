"""Must-catch phrases in ``rules.toml``: words that open a ticket whatever the model reads.

The learned reader (:mod:`surveys.reader`) reads every reply; these rules run beside it for the
few phrases a miss would be unforgivable for ("gun", "bleeding"), and for anything staff want
caught at once, before the next training. A rule names its category and priority; its
``except`` patterns are look-alikes that must not fire it ("nail gun", "scanner gun").

Staff write patterns in a small, readable dialect of regular expressions (the file's header
explains it); this module turns each into a compiled regex and checks every table, naming the
rule and field at fault when something is wrong. Each rule's patterns are joined into one
regex, so a reply costs one search per rule.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from surveys.categories import CATEGORIES, PRIORITIES

RULES_PATH = Path(__file__).with_name("rules.toml")

_NUMBER = r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|a few|a couple|several|many)"
# "...": up to six words in between, inside one sentence.
_GAP = r"(?:[^\w.!?]+[\w']+){0,6}?[^\w.!?]+"


class RulesError(ValueError):
    """rules.toml is malformed; the message names the table and field."""


@dataclass(frozen=True)
class Rule:
    id: str
    category: str
    priority: str
    regex: re.Pattern[str]
    unless: re.Pattern[str] | None = None  # look-alikes: a hit inside one of these is no hit
    patterns: tuple[str, ...] = ()  # as written, for the staff view
    exceptions: tuple[str, ...] = ()

    def search(self, text: str) -> re.Match[str] | None:
        """The first match in lower-case ``text`` that is not inside a look-alike."""
        cleared = [m.span() for m in self.unless.finditer(text)] if self.unless else []
        for match in self.regex.finditer(text):
            if not any(a <= match.start() and match.end() <= b for a, b in cleared):
                return match
        return None


@dataclass(frozen=True)
class Ruleset:
    rules: tuple[Rule, ...]  # most urgent first, then in file order

    def adding(self, extra: Sequence[Rule]) -> Ruleset:
        """These rules and ``extra`` together, most urgent first; on a tie, ours first."""
        return Ruleset(rules=_by_priority([*self.rules, *extra]))

    def scan(self, text: str) -> tuple[Rule, str] | None:
        """The most urgent rule that fires on ``text``, with the words it matched."""
        lower = text.lower().replace("\u2019", "'")
        for rule in self.rules:
            match = rule.search(lower)
            if match:
                return rule, match[0]
        return None


def _lower(source: str) -> str:
    # Patterns run on lower-case text; their escapes keep their case (\W is not \w).
    return re.sub(r"\\.|[A-Z]+", lambda m: m[0] if m[0][0] == "\\" else m[0].lower(), source)


def _space(match: re.Match[str]) -> str:
    if match[0][0] == "[":
        return match[0]
    return r"\s*" if match[1] else r"\s+"


def translate(pattern: str) -> str:
    """One pattern of the rules dialect (see the header of rules.toml) as a Python regex."""
    source = _lower(pattern.strip())
    source = source.replace(" ... ", "\0GAP\0")
    # "harass*" is a word's start; "\\s*" stays the regex it already is.
    source = re.sub(r"(?<!\\\w)(?<=\w)\*", r"\\w*", source)
    source = source.replace("'", "'?").replace("#", _NUMBER)
    # "pay ?stub" is an optional space: "paystub" as well as "pay stub".
    source = re.sub(r"\[[^\]]*\]| +(\?)?", _space, source)
    source = source.replace("\0GAP\0", _GAP)
    return rf"\b(?:{source})(?!\w)"


def compile_patterns(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(translate(p) for p in patterns))


def _require(table: Any, key: str, kind: type, where: str) -> Any:
    if not isinstance(table, dict):
        raise RulesError(f"{where}: must be a table")
    if key not in table:
        raise RulesError(f"{where}: missing field '{key}'")
    value = table[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise RulesError(f"{where}: field '{key}' must be a {kind.__name__}")
    return value


def _patterns(table: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    patterns = table[key]
    if (
        not isinstance(patterns, list)
        or not patterns
        or not all(isinstance(p, str) and p.strip() for p in patterns)
    ):
        raise RulesError(f"{where}: field '{key}' must be a list of non-empty strings")
    for pattern in patterns:
        check_pattern(pattern, f"{where}: pattern")
    return tuple(patterns)


def check_pattern(pattern: str, what: str = "pattern") -> re.Pattern[str]:
    """``pattern`` compiled, or :class:`RulesError` saying why it does not compile."""
    try:
        return re.compile(translate(pattern))
    except re.error as exc:
        raise RulesError(f"{what} {pattern!r} does not compile: {exc}") from exc


def make_rule(
    rule_id: str,
    category: str,
    priority: str,
    patterns: Sequence[str],
    exceptions: Sequence[str] = (),
) -> Rule:
    """A rule from patterns already checked (:func:`check_pattern`)."""
    return Rule(
        id=rule_id,
        category=category,
        priority=priority,
        regex=compile_patterns(list(patterns)),
        unless=compile_patterns(list(exceptions)) if exceptions else None,
        patterns=tuple(patterns),
        exceptions=tuple(exceptions),
    )


def _by_priority(rules: Sequence[Rule]) -> tuple[Rule, ...]:
    return tuple(sorted(rules, key=lambda rule: PRIORITIES.index(rule.priority)))  # stable


def parse(text: str) -> Ruleset:
    """Check and compile the rules in ``text`` (the contents of a rules.toml)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"rules.toml: {exc}") from exc
    unknown = sorted(set(data) - {"must_catch"})
    if unknown:
        raise RulesError(f"rules.toml: unknown table(s) {', '.join(unknown)}")
    tables = data.get("must_catch", [])
    if not isinstance(tables, list):
        raise RulesError("rules.toml: 'must_catch' must be written as [[must_catch]] tables")
    rules, seen = [], set()
    for number, table in enumerate(tables, start=1):
        where = f"rules.toml [[must_catch]] #{number}"
        rule_id = _require(table, "id", str, where)
        where = f"rules.toml [[must_catch]] id={rule_id!r}"
        if rule_id in seen:
            raise RulesError(f"{where}: duplicate id")
        seen.add(rule_id)
        _require(table, "patterns", list, where)
        category = _require(table, "category", str, where)
        if category not in CATEGORIES or category == "none":
            raise RulesError(f"{where}: unknown category {category!r}")
        priority = _require(table, "priority", str, where)
        if priority not in PRIORITIES:
            raise RulesError(f"{where}: priority must be one of {', '.join(PRIORITIES)}")
        extra = sorted(set(table) - {"id", "category", "priority", "patterns", "except"})
        if extra:
            raise RulesError(f"{where}: unknown field(s) {', '.join(extra)}")
        rules.append(
            make_rule(
                rule_id,
                category,
                priority,
                _patterns(table, "patterns", where),
                _patterns(table, "except", where) if "except" in table else (),
            )
        )
    return Ruleset(rules=_by_priority(rules))


@cache
def ruleset(path: Path = RULES_PATH) -> Ruleset:
    """The rules in ``path`` (by default the packaged rules.toml), read once per process."""
    return parse(path.read_text(encoding="utf-8"))
