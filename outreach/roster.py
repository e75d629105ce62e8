"""The contractor roster: reading CSV/JSON exports from the ATS/VMS and upserting them. Each
field is checked by :mod:`outreach.normalise`.

Two steps, so each can be used (and tested) alone:

* :func:`read_roster` turns a file into ``(line, values)`` pairs, where ``line`` is the physical
  line in the file (header = line 1). Problems with the file as a whole (unreadable, unknown or
  missing columns) raise :class:`RosterFileError`: nothing is imported.
* :func:`import_roster` checks every row, upserts the good ones by ``external_id`` and returns an
  :class:`ImportReport` naming each bad row by line, field and reason. One bad row never costs
  the rest of the batch.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal, TypeVar

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from outreach import consent_log
from outreach.models import Channel, Contractor
from outreach.normalise import (
    check_timezone,
    normalise_email,
    normalise_phone,
    parse_channel,
    parse_date,
    parse_language,
)
from outreach.states import parse_state, state_from_address

COLUMNS = (
    "external_id",
    "name",
    "phone",
    "email",
    "timezone",
    "channel",
    "start_date",
    "end_date",
    "client",
    "account_manager",
    "language",
    "state",  # a US state's code or name: its quiet hours apply (outreach.quiet_hours)
    "address",  # read only for its state, when there is no state column; not kept
)
REQUIRED_COLUMNS = ("external_id", "name", "timezone", "start_date", "client", "account_manager")
# The widths of the columns in the database: checked here so that a long value is one bad row
# rather than a database error that would lose the whole batch.
MAX_LENGTHS = {"external_id": 64, "name": 200, "client": 200, "account_manager": 200}

# Where a CSV row had more cells than the header has columns (DictReader's "restkey").
EXTRA_CELLS = "(extra cells)"

T = TypeVar("T")


class RosterFileError(ValueError):
    """The file cannot be imported at all; the message says why (and where, when it can)."""


@dataclass(frozen=True, order=True)
class RowError:
    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.reason}"


class InvalidRow(ValueError):
    """One row failed its checks. ``problems`` holds ``(field, reason)`` pairs, in column order."""

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{name}: {reason}" for name, reason in problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class ContractorRow:
    """One roster row after its checks: every value is in the form the database keeps."""

    external_id: str
    name: str
    phone: str | None
    email: str | None
    timezone: str
    channel: Channel
    start_date: date
    end_date: date | None
    client: str
    account_manager: str
    language: str | None = None  # None: the roster does not say; keep what we know
    state: str | None = None  # likewise

    def values(self) -> dict[str, object]:
        values = {name: getattr(self, name) for name in COLUMNS if name != "address"}
        values["channel"] = self.channel.value
        for unsaid in ("language", "state"):
            if values[unsaid] is None:
                del values[unsaid]
        return values


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated + self.unchanged

    @property
    def rejected(self) -> int:
        """Rows refused; a row with several bad fields counts once."""
        return len({error.line for error in self.errors})

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        return (
            f"{self.imported} imported ({self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged), {self.rejected} rejected"
        )


# --- one row -------------------------------------------------------------------------------


def _text(value: object) -> str:
    """A cell as stripped text. JSON numbers are accepted (ids are often numeric there)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"expected text, got {type(value).__name__} {json.dumps(value)[:40]}")


def _cell_texts(values: Mapping[str, object], problems: list[tuple[str, str]]) -> dict[str, str]:
    """Every column's cell as trimmed text; what is wrong with the cells as text (too many,
    missing, too long, control characters) goes to ``problems``."""
    if EXTRA_CELLS in values:
        extra = values[EXTRA_CELLS]
        count = len(extra) if isinstance(extra, list) else 1
        problems.append(
            (
                "row",
                f"has {count} more value(s) than the header has columns "
                "(is there an unquoted comma in a value?)",
            )
        )

    text: dict[str, str] = {}
    for name in COLUMNS:
        try:
            text[name] = _text(values.get(name))
        except ValueError as exc:
            problems.append((name, str(exc)))
            text[name] = ""
            continue
        if any(ord(ch) < 32 and ch not in "\t" for ch in text[name]):
            problems.append((name, "contains a control character"))
        elif not text[name] and name in REQUIRED_COLUMNS:
            problems.append((name, "is required"))
        elif name in MAX_LENGTHS and len(text[name]) > MAX_LENGTHS[name]:
            problems.append((name, f"is longer than {MAX_LENGTHS[name]} characters"))
    return text


def parse_contractor(values: Mapping[str, object], *, default_region: str) -> ContractorRow:
    """Check one row and return it in stored form.

    Every field is checked, so one pass names all of a row's problems.

    Raises:
        InvalidRow: with a ``(field, reason)`` pair for each problem.
    """
    problems: list[tuple[str, str]] = []
    text = _cell_texts(values, problems)
    bad = {name for name, _ in problems}

    def check(name: str, parse: Callable[[str], T]) -> T | None:
        if not text[name] or name in bad:
            return None
        try:
            return parse(text[name])
        except ValueError as exc:
            problems.append((name, str(exc)))
            bad.add(name)
            return None

    phone = check("phone", lambda raw: normalise_phone(raw, default_region))
    email = check("email", normalise_email)
    timezone = check("timezone", check_timezone)
    channel = check("channel", parse_channel)
    start_date = check("start_date", parse_date)
    end_date = check("end_date", parse_date)
    language = check("language", parse_language)
    state = check("state", parse_state)
    if state is None and "state" not in bad and text["address"]:
        state = state_from_address(text["address"])

    if channel is None and "channel" not in bad:
        channel = Channel.SMS if text["phone"] else Channel.EMAIL
    if "phone" not in bad and "email" not in bad:
        if not text["phone"] and not text["email"]:
            problems.append(("phone", "a phone or an email is required"))
        elif channel is Channel.SMS and not text["phone"]:
            problems.append(("phone", "is required when channel is sms"))
        elif channel is Channel.EMAIL and not text["email"]:
            problems.append(("email", "is required when channel is email"))
    if start_date is not None and end_date is not None and end_date < start_date:
        problems.append(("end_date", f"{end_date} is before start_date {start_date}"))

    if problems:
        order = {name: i for i, name in enumerate(("row", *COLUMNS))}
        raise InvalidRow(sorted(problems, key=lambda p: order[p[0]]))
    # Required fields that passed their checks are set; these asserts narrow the types.
    assert timezone is not None and channel is not None and start_date is not None
    return ContractorRow(
        external_id=text["external_id"],
        name=text["name"],
        phone=phone,
        email=email,
        timezone=timezone,
        channel=channel,
        start_date=start_date,
        end_date=end_date,
        client=text["client"],
        account_manager=text["account_manager"],
        language=language,
        state=state,
    )


# --- a whole batch -------------------------------------------------------------------------


def import_roster(
    session: Session,
    rows: Iterable[tuple[int, Mapping[str, object]]],
    *,
    default_region: str,
) -> ImportReport:
    """Check every row and upsert the good ones by ``external_id``; flush, do not commit.

    A later row repeating an ``external_id`` is refused and names the line that came first,
    even if that first row was itself refused: the file disagrees with itself, and a person
    should say which row is right.

    Args:
        rows: ``(line, values)`` pairs, e.g. from :func:`read_roster`.
        default_region: how to read phone numbers written without a country code.
    """
    report = ImportReport()
    first_line: dict[str, int] = {}
    good: list[ContractorRow] = []
    for line, values in rows:
        try:
            key = _text(values.get("external_id"))
        except ValueError:
            key = ""
        if key and key in first_line:
            report.errors.append(
                RowError(line, "external_id", f"{key!r} already appears on line {first_line[key]}")
            )
            continue
        if key:
            first_line[key] = line
        try:
            good.append(parse_contractor(values, default_region=default_region))
        except InvalidRow as exc:
            report.errors.extend(RowError(line, name, reason) for name, reason in exc.problems)

    existing = _contractors_by_external_id(session, [row.external_id for row in good])
    new: list[dict[str, object]] = []
    for row in good:
        contractor = existing.get(row.external_id)
        if contractor is None:
            new.append(row.values())
            continue
        changed = False
        for name, value in row.values().items():
            if getattr(contractor, name) != value:
                setattr(contractor, name, value)
                changed = True
        if changed:
            report.updated += 1
        else:
            report.unchanged += 1
    session.flush()
    if new:
        # One multi-row INSERT per batch of rows, without loading them back as objects.
        session.execute(insert(Contractor), new)
        report.created = len(new)
    consent_log.roster_consent(session, _addresses(good), actor="roster")
    return report


def _addresses(rows: Iterable[ContractorRow]) -> list[tuple[str, str]]:
    pairs = [(row.phone, Channel.SMS.value) for row in rows if row.phone]
    return pairs + [(row.email, Channel.EMAIL.value) for row in rows if row.email]


def _contractors_by_external_id(session: Session, external_ids: list[str]) -> dict[str, Contractor]:
    # Chunked: SQLite caps the bound parameters of one statement (32766 since 3.32). Few large
    # chunks, not many small ones: PostgreSQL scans a freshly loaded table once per query.
    found: dict[str, Contractor] = {}
    for start in range(0, len(external_ids), 2000):
        chunk = external_ids[start : start + 2000]
        for contractor in session.scalars(
            select(Contractor).where(Contractor.external_id.in_(chunk))
        ):
            found[contractor.external_id] = contractor
    return found


# --- files ---------------------------------------------------------------------------------


RosterLines = Iterator[tuple[int, dict[str, object]]]


def read_roster(path: str | Path) -> RosterLines:
    """Read a roster file: JSON if its name ends in ``.json``, CSV otherwise.

    Raises:
        RosterFileError: unreadable, or refused by :func:`parse_roster`.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RosterFileError(f"cannot read {path}: {exc.strerror}") from None
    return parse_roster(data, kind="json" if path.suffix.lower() == ".json" else "csv")


def parse_roster(data: bytes, *, kind: Literal["csv", "json"] = "csv") -> RosterLines:
    """Split a roster into ``(line, values)`` pairs; ``line`` is the physical line (header = 1).

    CSV: UTF-8 with or without a BOM, any line endings, separated by commas (semicolons or tabs
    are recognised from the header). Header names are matched ignoring case, surrounding space
    and ``-``/space versus ``_``. Missing optional columns read as empty. JSON: a list of
    objects with the same keys.

    Everything is parsed and the columns checked before this returns, so a refused file raises
    here rather than part-way through an import.

    Raises:
        RosterFileError: not UTF-8, malformed, or unknown/missing columns.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise RosterFileError(
            f"line {line}: the file is not UTF-8 (byte {data[exc.start]:#04x}); "
            "save it as 'CSV UTF-8'"
        ) from None
    return iter(_json_rows(text) if kind == "json" else _csv_rows(text))


def _column_name(raw: str) -> str:
    return re.sub(r"[\s-]+", "_", raw.strip().lower())


def _check_columns(names: Iterable[str]) -> None:
    names = list(names)
    unknown = [name for name in dict.fromkeys(names) if name not in COLUMNS]
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    problems = []
    if missing:
        problems.append("missing required column(s): " + ", ".join(missing))
    if unknown:
        problems.append(
            "unknown column(s): "
            + ", ".join(repr(name) for name in unknown)
            + " (known: "
            + ", ".join(COLUMNS)
            + ")"
        )
    if problems:
        raise RosterFileError("; ".join(problems))


def _csv_rows(text: str) -> list[tuple[int, dict[str, object]]]:
    first_line = re.split(r"\r\n|\r|\n", text, maxsplit=1)[0]
    if not first_line.strip():
        raise RosterFileError("line 1: the file is empty; expected a header row")
    delimiter = max(",;\t", key=lambda d: len([c for c in first_line.split(d) if c.strip()]))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [_column_name(cell) for cell in next(reader)]
        repeated = sorted({name for name in header if name and header.count(name) > 1})
        if repeated:
            raise RosterFileError("line 1: column(s) appear more than once: " + ", ".join(repeated))
        # Spreadsheets leave trailing empty header cells; those columns hold nothing.
        while header and not header[-1]:
            header.pop()
        _check_columns(header)

        rows: list[tuple[int, dict[str, object]]] = []
        last_line = reader.line_num
        for cells in reader:
            line, last_line = last_line + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue  # blank lines, and rows of empty cells that spreadsheets export
            values: dict[str, object] = dict(zip(header, cells, strict=False))
            extra = [cell for cell in cells[len(header) :] if cell.strip()]
            if extra:
                values[EXTRA_CELLS] = extra
            rows.append((line, values))
    except csv.Error as exc:
        raise RosterFileError(f"line {reader.line_num}: {exc}") from None
    return rows


def _json_rows(text: str) -> list[tuple[int, dict[str, object]]]:
    """Decode a JSON list item by item, so each item keeps the line it starts on."""
    decoder = json.JSONDecoder()
    position = _skip_space(text, 0)
    if text[position : position + 1] != "[":
        raise RosterFileError("a JSON roster must be a list of objects: [{...}, {...}]")
    position = _skip_space(text, position + 1)
    line, counted_to = 1, 0
    rows: list[tuple[int, dict[str, object]]] = []
    seen: dict[str, int] = {}
    while text[position : position + 1] != "]":
        if rows:
            if text[position : position + 1] != ",":
                raise _json_error(text, position, "expected ',' or ']'")
            position = _skip_space(text, position + 1)
        line += text.count("\n", counted_to, position)
        counted_to = position
        try:
            item, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            raise _json_error(text, exc.pos, exc.msg) from None
        if not isinstance(item, dict):
            raise RosterFileError(f"line {line}: expected an object, got {type(item).__name__}")
        values = {_column_name(str(key)): value for key, value in item.items()}
        for key in values:
            seen.setdefault(key, line)
        rows.append((line, values))
        position = _skip_space(text, position)
        if position >= len(text):
            raise _json_error(text, position, "the list is not closed with ']'")
    if text[_skip_space(text, position + 1) :]:
        raise _json_error(text, _skip_space(text, position + 1), "unexpected text after the list")
    unknown = [key for key in seen if key not in COLUMNS]
    if unknown:
        where = ", ".join(f"{key!r} (first on line {seen[key]})" for key in unknown)
        raise RosterFileError(f"unknown key(s): {where} (known: {', '.join(COLUMNS)})")
    if rows:
        # A key no object has is a column the export left out; say so once, not per row.
        absent = [name for name in REQUIRED_COLUMNS if name not in seen]
        if absent:
            raise RosterFileError("missing required key(s) in every object: " + ", ".join(absent))
    return rows


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def _json_error(text: str, position: int, message: str) -> RosterFileError:
    return RosterFileError(
        f"line {text.count(chr(10), 0, position) + 1}: not valid JSON: {message}"
    )
