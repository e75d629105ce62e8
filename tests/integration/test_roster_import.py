"""Roster import against the real database, through the domain function and the CLI."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db import db
from outreach.models import Contractor
from outreach.roster import import_roster, parse_roster, read_roster

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
HEADER = "external_id,name,phone,email,timezone,channel,start_date,end_date,client,account_manager"


def contractors() -> dict[str, Contractor]:
    with db.session() as session:
        return {c.external_id: c for c in session.scalars(select(Contractor))}


def run_import(app: Flask, *args: str):  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(args=["contractors", "import", *args])


def test_roster_import_with_bad_phone_unknown_zone_and_duplicate_imports_good_rows_and_names_each_bad_one(  # noqa: E501
    app: Flask,
) -> None:
    result = run_import(app, str(FIXTURES / "roster_mixed.csv"))

    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "3 imported (3 created, 0 updated, 0 unchanged), 3 rejected",
        "line 4: phone: '+1 555' is not a valid phone number for region US",
        "line 5: timezone: 'Mars/Olympus_Mons' is not an IANA time zone; "
        "use a name such as America/New_York",
        "line 6: external_id: 'C-001' already appears on line 2",
    ]
    saved = contractors()
    assert sorted(saved) == ["C-001", "C-002", "C-005"]
    ana = saved["C-001"]  # the first row with C-001 wins
    assert (ana.name, ana.phone, ana.email, ana.channel) == (
        "Ana Ortiz",
        "+14155552671",
        "ana@example.com",
        "sms",
    )
    assert (ana.start_date, ana.end_date) == (date(2026, 3, 2), date(2026, 9, 30))
    assert (saved["C-002"].name, saved["C-002"].channel) == ("Lee, Sam", "email")
    assert saved["C-005"].phone == "+442079460958"


def test_roster_import_json_names_bad_items_by_the_line_they_start_on(app: Flask) -> None:
    result = run_import(app, str(FIXTURES / "roster_mixed.json"))

    assert result.exit_code == 1
    assert result.output.splitlines()[1:] == [
        "line 13: phone: '+1 555' is not a valid phone number for region US",
        "line 15: timezone: 'Mars/Olympus_Mons' is not an IANA time zone; "
        "use a name such as America/New_York",
        "line 18: external_id: 'C-001' already appears on line 2",
    ]
    assert sorted(contractors()) == ["1002", "C-001"]


def test_roster_reimport_updates_contractors_rather_than_duplicating(session: Session) -> None:
    first = import_roster(session, read_roster(FIXTURES / "roster_mixed.csv"), default_region="US")
    changed = (
        f"{HEADER}\n"
        "C-001,Ana Ortiz-Reyes,(415) 555-2671,ana@example.com,America/Denver,email,"
        "2026-03-02,2026-12-31,Acme Robotics,Lou Grant\n"
        'C-002,"Lee, Sam",,sam.lee@example.org,America/New_York,,2026-02-16,,Globex,Dana Reyes\n'
        "C-006,Max Roe,+1 646 555 0134,,America/New_York,,2026-04-01,,Globex,Dana Reyes\n"
    )
    second = import_roster(session, parse_roster(changed.encode()), default_region="US")

    assert (first.created, first.rejected) == (3, 3)
    assert (second.created, second.updated, second.unchanged, second.rejected) == (1, 1, 1, 0)
    assert session.scalar(select(func.count()).select_from(Contractor)) == 4
    ana = session.scalars(select(Contractor).where(Contractor.external_id == "C-001")).one()
    assert (ana.name, ana.timezone, ana.channel, ana.end_date, ana.account_manager) == (
        "Ana Ortiz-Reyes",
        "America/Denver",
        "email",
        date(2026, 12, 31),
        "Lou Grant",
    )


def test_roster_import_cli_twice_reports_second_run_as_unchanged(
    app: Flask, tmp_path: Path
) -> None:
    path = tmp_path / "roster.csv"
    path.write_text(
        f"{HEADER}\nC-1,Ana,(415) 555-2671,,America/Los_Angeles,,2026-03-02,,Acme,Dana\n"
    )

    assert run_import(app, str(path)).output.startswith("1 imported (1 created,")
    again = run_import(app, str(path))

    assert again.exit_code == 0
    assert again.output == "1 imported (0 created, 0 updated, 1 unchanged), 0 rejected\n"
    assert len(contractors()) == 1


def test_roster_import_cli_reads_bom_and_windows_line_endings(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_bytes(
        (
            "\ufeff" + HEADER + "\r\n"
            "C-1,Ana,(415) 555-2671,,America/Los_Angeles,,2026-03-02,,Acme,Dana\r\n"
            "C-2,Sam,,not-an-address,America/New_York,,2026-03-02,,Acme,Dana\r\n"
        ).encode()
    )

    result = run_import(app, str(path))

    assert result.exit_code == 1
    assert result.output.splitlines()[1:] == [
        "line 3: email: 'not-an-address' is not a valid email address"
    ]
    assert contractors()["C-1"].timezone == "America/Los_Angeles"


def test_roster_import_cli_missing_column_refuses_whole_file(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text(
        "external_id,name,phone,start_date,client,account_manager\n"
        "C-1,Ana,(415) 555-2671,2026-03-02,Acme,Dana\n"
    )

    result = run_import(app, str(path))

    assert result.exit_code == 2
    assert "missing required column(s): timezone" in result.stderr
    assert contractors() == {}


def test_roster_import_cli_region_option_reads_national_numbers(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text(f"{HEADER}\nC-1,Jo,020 7946 0958,,Europe/London,,2026-03-02,,Acme,Dana\n")

    result = run_import(app, "--region", "gb", str(path))

    assert result.exit_code == 0, result.output
    assert contractors()["C-1"].phone == "+442079460958"


def test_roster_import_cli_dry_run_reports_but_saves_nothing(app: Flask) -> None:
    result = run_import(app, "--dry-run", str(FIXTURES / "roster_mixed.csv"))

    assert result.exit_code == 1
    assert result.output.startswith("dry run, nothing saved: 3 imported (3 created,")
    assert contractors() == {}
