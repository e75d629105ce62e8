"""The reading rules in ``rules.toml``: loaded and compiled once per process.

Staff write patterns in a small, readable dialect of regular expressions (the file's header
explains it); this module turns each into a compiled regex and checks every table, naming the
rule and field at fault when something is wrong.

Speed: Python's regex engine has no multi-pattern search, and searching every reply with each of
the ~170 patterns would cost more than TextBlob and VADER together. So each pattern also records
the words its matches can start with (worked out from Python's own regex parser), and a reply
tries a pattern only where one of those words stands, anchored there.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from re import _constants as _c  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
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
_WORD = re.compile(r"[a-z0-9]+")


class RulesError(ValueError):
    """rules.toml is malformed; the message names the table and field."""


@dataclass(frozen=True)
class Pattern:
    regex: re.Pattern[str]
    # How every match starts: "=word" for a whole first word, its first three letters when
    # only its start is fixed ("harass*"), "#" for a number; None when that cannot be known.
    keys: frozenset[str] | None


@dataclass(frozen=True)
class Rule:
    id: str
    patterns: tuple[Pattern, ...]
    category: str = "none"
    priority: str | None = None

    def search(self, text: str) -> re.Match[str] | None:
        """The first match in lower-case ``text``."""
        for pattern in self.patterns:
            match = pattern.regex.search(text)
            if match:
                return match
        return None


@dataclass(frozen=True)
class Found:
    """What the rules found in one reply: each rule that fired with the words it matched."""

    ticket: tuple[Rule, str] | None  # the most urgent ticket rule
    quit_intent: tuple[Rule, str] | None
    problem_cues: tuple[tuple[Rule, str], ...]
    all_clear: bool


_TICKET, _QUIT, _CUE, _CLEAR = range(4)


@dataclass(frozen=True)
class Ruleset:
    tickets: tuple[Rule, ...]  # most urgent first, then in file order
    quit_intent: tuple[Rule, ...]
    problem_cues: tuple[Rule, ...]
    all_clear: tuple[Rule, ...]
    problem_categories: frozenset[str]
    request_categories: frozenset[str]
    polarity_below: float
    compound_at_most: float
    low_rating_share: float
    high_rating_share: float
    _entries: tuple[tuple[int, Rule, Pattern], ...] = field(init=False, repr=False, compare=False)
    # First word (or its first three letters, or "#") -> the patterns whose matches start so.
    _words: dict[str, tuple[int, ...]] = field(init=False, repr=False, compare=False)
    _starts: dict[str, tuple[int, ...]] = field(init=False, repr=False, compare=False)
    # (pattern, -1) for patterns that must be searched for in every reply.
    _always: tuple[tuple[int, int], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Every pattern in the order it is tried, and an index from first words to patterns.
        groups = (self.tickets, self.quit_intent, self.problem_cues, self.all_clear)
        entries = tuple(
            (kind, rule, pattern)
            for kind, group in enumerate(groups)
            for rule in group
            for pattern in rule.patterns
        )
        words: dict[str, list[int]] = {}
        starts: dict[str, list[int]] = {}
        for number, (_, _, pattern) in enumerate(entries):
            for key in pattern.keys or ():
                if key.startswith("="):
                    words.setdefault(key[1:], []).append(number)
                else:
                    starts.setdefault(key, []).append(number)
        always = tuple((n, -1) for n, (_, _, p) in enumerate(entries) if p.keys is None)
        object.__setattr__(self, "_entries", entries)
        object.__setattr__(self, "_words", {key: tuple(ns) for key, ns in words.items()})
        object.__setattr__(self, "_starts", {key: tuple(ns) for key, ns in starts.items()})
        object.__setattr__(self, "_always", always)

    def scan(self, text: str) -> Found:
        """Run the rules over lower-case ``text``.

        Each pattern is tried only where a word it can start with stands, and anchored there:
        far cheaper than searching the whole reply with every pattern.
        """
        words, starts = self._words, self._starts
        tries = list(self._always)
        for word_match in _WORD.finditer(text):
            word = word_match[0]
            for hits in (words.get(word), starts.get("#" if word[0] <= "9" else word[:3])):
                if hits:
                    start = word_match.start()
                    tries += [(number, start) for number in hits]

        ordered = sorted(set(tries))
        # "No issues with the client" is not a client problem: what an all-clear phrase covers
        # is not read by the other rules. All-clear patterns come last in the order.
        cleared: list[tuple[int, int]] = []
        for number, start in reversed(ordered):
            kind, _, pattern = self._entries[number]
            if kind != _CLEAR:
                break
            match = _match(pattern, text, start)
            if match:
                cleared.append(match.span())

        ticket = quit_intent = None
        cues: list[tuple[Rule, str]] = []
        for number, start in ordered:
            kind, rule, pattern = self._entries[number]
            if (
                kind == _CLEAR
                or (kind == _TICKET and ticket)
                or (kind == _QUIT and quit_intent)
                or (kind == _CUE and cues and cues[-1][0] is rule)
            ):
                continue
            match = _match(pattern, text, start)
            if match is None or any(a < match.end() and match.start() < b for a, b in cleared):
                continue
            if kind == _TICKET:
                ticket = (rule, match[0])
            elif kind == _QUIT:
                quit_intent = (rule, match[0])
            else:
                cues.append((rule, match[0]))
        return Found(ticket, quit_intent, tuple(cues), bool(cleared))


def _match(pattern: Pattern, text: str, start: int) -> re.Match[str] | None:
    return pattern.regex.search(text) if start < 0 else pattern.regex.match(text, start)


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


def compile_pattern(pattern: str) -> Pattern:
    source = translate(pattern)
    return Pattern(regex=re.compile(source), keys=_first_keys(source))


class _Unknown(Exception):
    pass


# Letters read so far of a match's first word, and how that word ends: None (still reading),
# "=" (a whole word: a space, an apostrophe or the pattern's end follows) or "" (only its start
# is fixed, as in "harass*").
_State = tuple[str, str | None]
_PREFIX = 3
_REPEATS = (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", None))


def _first_keys(source: str) -> frozenset[str] | None:
    # Reads the parse tree of Python's own regex compiler (a private module): should it ever
    # change shape, the pattern is simply tried on every reply.
    try:
        states = _walk(_parser.parse(source), {("", None)})
    except (_Unknown, AttributeError, TypeError, ValueError, re.error):
        return None
    keys = set()
    for word, end in states:
        if end != "":
            if not word:
                return None
            keys.add(f"={word}")
        elif word.isdigit():
            keys.add("#")  # a number: any word starting with a digit
        elif len(word) >= _PREFIX:
            keys.add(word[:_PREFIX])
        else:
            return None  # too short a start to be worth indexing
    return frozenset(keys)


def _walk(items: Any, states: set[_State]) -> set[_State]:
    for op, av in items:
        if all(end is not None for _, end in states):
            break
        if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
            continue  # zero width
        following: set[_State] = set()
        for word, end in states:
            following |= {(word, end)} if end is not None else _step(op, av, word)
        states = following
    return states


def _chars(op: Any, av: Any) -> str | None:
    """The characters one LITERAL or IN item matches; None for anything else."""
    if op is _c.LITERAL:
        return chr(av)
    if op is not _c.IN:
        return None
    chars = ""
    for item_op, item_av in av:
        if item_op is _c.LITERAL:
            chars += chr(item_av)
        elif item_op is _c.CATEGORY and item_av is _c.CATEGORY_DIGIT:
            chars += "0123456789"
        elif item_op is _c.CATEGORY and item_av is _c.CATEGORY_SPACE:
            chars += " "
        elif item_op is _c.NEGATE and (_c.CATEGORY, _c.CATEGORY_WORD) in av:
            return " "  # [^\w...]: only characters between words
        elif item_op is _c.RANGE and item_av[1] - item_av[0] < 26:
            chars += "".join(map(chr, range(item_av[0], item_av[1] + 1)))
        else:
            return None
    return chars


def _step(op: Any, av: Any, word: str) -> set[_State]:
    chars = _chars(op, av)
    if chars is not None:
        if chars and all(ch.isalnum() for ch in chars):
            return {(word + ch, None) for ch in chars}
        if word and not any(ch.isalnum() for ch in chars):
            return {(word, "=")}  # a space, a hyphen or an apostrophe ends the word
        raise _Unknown
    if op is _c.SUBPATTERN:
        return _walk(av[-1], {(word, None)})
    if op is _c.ATOMIC_GROUP:
        return _walk(av, {(word, None)})
    if op is _c.BRANCH:
        return set().union(*(_walk(branch, {(word, None)}) for branch in av[1]))
    if op in _REPEATS:
        low, high, sub = av
        states = _walk(sub, {(word, None)})
        if high != 1:  # more rounds could lengthen the word: only its start is sure
            states = {(w, "" if end is None else end) for w, end in states}
        if low == 0:
            states.add((word, None))
        return states
    if word:
        return {(word, "")}  # \w*, \s+ or "." after known letters: those letters still lead
    raise _Unknown


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
        compiled = []
        for pattern in patterns:
            try:
                compiled.append(compile_pattern(pattern))
            except re.error as exc:
                raise RulesError(f"{where}: pattern {pattern!r} does not compile: {exc}") from exc
        if not ticket:
            rules.append(Rule(id=rule_id, patterns=tuple(compiled)))
            continue
        category = _require(table, "category", str, where)
        if category not in CATEGORIES or category == "none":
            raise RulesError(f"{where}: unknown category {category!r}")
        priority = _require(table, "priority", str, where)
        if priority not in PRIORITIES:
            raise RulesError(f"{where}: priority must be one of {', '.join(PRIORITIES)}")
        rules.append(
            Rule(id=rule_id, patterns=tuple(compiled), category=category, priority=priority)
        )
    return rules


def parse(text: str) -> Ruleset:
    """Check and compile the rules in ``text`` (the contents of a rules.toml)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"rules.toml: {exc}") from exc
    tickets = _rules(data, "rule", ticket=True)
    tickets.sort(key=lambda rule: PRIORITIES.index(rule.priority or "low"))  # stable: file order

    categories = data.get("categories", {})
    grouped = {}
    for group in ("problems", "requests"):
        names = _require(categories, group, list, "rules.toml [categories]")
        unknown = [c for c in names if c not in CATEGORIES or c == "none"]
        if unknown:
            raise RulesError(f"rules.toml [categories]: unknown {group} {unknown}")
        grouped[group] = frozenset(names)

    sentiment = data.get("sentiment", {})
    where = "rules.toml [sentiment]"
    number = (int, float)
    return Ruleset(
        tickets=tuple(tickets),
        quit_intent=tuple(_rules(data, "quit_intent")),
        problem_cues=tuple(_rules(data, "problem_cue")),
        all_clear=tuple(_rules(data, "all_clear")),
        problem_categories=grouped["problems"],
        request_categories=grouped["requests"],
        polarity_below=float(_require(sentiment, "polarity_below", number, where)),
        compound_at_most=float(_require(sentiment, "compound_at_most", number, where)),
        low_rating_share=float(_require(sentiment, "low_rating_share", number, where)),
        high_rating_share=float(_require(sentiment, "high_rating_share", number, where)),
    )


@cache
def ruleset(path: Path = RULES_PATH) -> Ruleset:
    """The rules in ``path`` (by default the packaged rules.toml), read once per process."""
    return parse(path.read_text(encoding="utf-8"))
