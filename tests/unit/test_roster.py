"""Roster checks, one field at a time, and the reading of CSV/JSON text. No database."""

from __future__ import annotations

import re
from datetime import date

import pytest

from outreach.models import Channel
from outreach.normalise import (
    check_timezone,
    normalise_email,
    normalise_phone,
    parse_channel,
    parse_date,
    parse_language,
)
from outreach.roster import EXTRA_CELLS, InvalidRow, RosterFileError, parse_contractor, parse_roster

HEADER = "external_id,name,phone,email,timezone,channel,start_date,end_date,client,account_manager"


def row(**changes: object) -> dict[str, object]:
    values: dict[str, object] = {
        "external_id": "C-1",
        "name": "Ana Ortiz",
        "phone": "(415) 555-2671",
        "email": "",
        "timezone": "America/Los_Angeles",
        "channel": "",
        "start_date": "2026-03-02",
        "end_date": "",
        "client": "Acme",
        "account_manager": "Dana",
    }
    values.update(changes)
    return values


def problems(values: dict[str, object], region: str = "US") -> list[tuple[str, str]]:
    with pytest.raises(InvalidRow) as caught:
        parse_contractor(values, default_region=region)
    return caught.value.problems


# --- phone ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("(415) 555-2671", "US", "+14155552671"),
        ("415.555.2671", "US", "+14155552671"),
        ("+1 415 555 2671", "GB", "+14155552671"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("+44 20 7946 0958", "US", "+442079460958"),
    ],
)
def test_phone_normalise_national_and_international_forms_gives_e164(
    raw: str, region: str, e164: str
) -> None:
    assert normalise_phone(raw, region) == e164


@pytest.mark.parametrize("raw", ["+1 555", "555-0100", "call me", "07700 900123"])
def test_phone_normalise_invalid_number_raises_naming_value_and_region(raw: str) -> None:
    with pytest.raises(ValueError) as caught:
        normalise_phone(raw, "US")
    assert str(caught.value) == f"{raw!r} is not a valid phone number for region US"


def test_phone_normalise_number_with_extension_is_refused() -> None:
    with pytest.raises(ValueError, match="extension"):
        normalise_phone("+1 212 555 1234 x22", "US")


# --- email ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("Ana.Ortiz@Example.COM", "Ana.Ortiz@example.com"),
        ("ana+pulse@mail.example.co.uk", "ana+pulse@mail.example.co.uk"),
        ("jo@bücher.example", "jo@xn--bcher-kva.example"),
    ],
)
def test_email_normalise_plausible_address_lowercases_domain_only(raw: str, stored: str) -> None:
    assert normalise_email(raw) == stored


@pytest.mark.parametrize(
    "raw",
    [
        "ana",
        "ana@",
        "@example.com",
        "ana@example",
        "ana@@example.com",
        "ana ortiz@example.com",
        "ana@exa mple.com",
        ".ana@example.com",
        "ana..o@example.com",
        "ana@-example.com",
        "ana@example..com",
    ],
)
def test_email_normalise_implausible_address_raises(raw: str) -> None:
    with pytest.raises(ValueError, match="is not a valid email address"):
        normalise_email(raw)


def test_email_normalise_address_longer_than_smtp_allows_raises() -> None:
    with pytest.raises(ValueError, match="longer than 254"):
        normalise_email("ana@" + ".".join(["b" * 63] * 4) + ".com")


# --- time zone -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["America/New_York", "Europe/London", "US/Eastern", "Asia/Kolkata"]
)
def test_timezone_check_place_based_iana_name_is_accepted(name: str) -> None:
    assert check_timezone(name) == name


def test_timezone_check_unknown_name_raises_naming_it() -> None:
    with pytest.raises(ValueError, match=r"'Mars/Olympus_Mons' is not an IANA time zone"):
        check_timezone("Mars/Olympus_Mons")


def test_timezone_check_wrong_case_suggests_the_real_name() -> None:
    with pytest.raises(ValueError, match=re.escape("use e.g. America/New_York")):
        check_timezone("america/new_york")


@pytest.mark.parametrize(
    ("name", "hint"),
    [("EST", "America/New_York"), ("EST5EDT", "America/New_York"), ("PST8PDT", "Los_Angeles")],
)
def test_timezone_check_fixed_offset_or_legacy_name_is_refused_with_hint(
    name: str, hint: str
) -> None:
    with pytest.raises(ValueError, match="not a place-based IANA time zone") as caught:
        check_timezone(name)
    assert hint in str(caught.value)


@pytest.mark.parametrize("name", ["UTC", "Etc/GMT+5", "Japan", "localtime", "../etc/passwd"])
def test_timezone_check_non_place_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match=re.escape(f"{name!r} is not")):
        check_timezone(name)


def test_timezone_check_abbreviation_not_in_database_suggests_zone() -> None:
    with pytest.raises(
        ValueError, match=re.escape("'PDT' is not an IANA time zone; use e.g. America/Los")
    ):
        check_timezone("PDT")


# --- channel and dates ---------------------------------------------------------------------


def test_channel_parse_accepts_either_case() -> None:
    assert parse_channel("SMS") is Channel.SMS
    assert parse_channel("email") is Channel.EMAIL


def test_channel_parse_unknown_channel_lists_choices() -> None:
    with pytest.raises(ValueError, match="'whatsapp' is not a channel; use sms or email"):
        parse_channel("whatsapp")


@pytest.mark.parametrize("raw", ["03/02/2026", "2026-02-30", "2 March 2026", "2026-3-2"])
def test_date_parse_non_iso_or_impossible_date_raises(raw: str) -> None:
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        parse_date(raw)


# --- whole rows ----------------------------------------------------------------------------


def test_row_parse_good_row_gives_stored_values() -> None:
    contractor = parse_contractor(
        row(email=" Ana@Example.com ", end_date="2026-09-30"), default_region="US"
    )
    assert contractor.phone == "+14155552671"
    assert contractor.email == "Ana@example.com"
    assert contractor.channel is Channel.SMS
    assert (contractor.start_date, contractor.end_date) == (date(2026, 3, 2), date(2026, 9, 30))


def test_row_parse_channel_defaults_to_sms_with_phone_and_email_without() -> None:
    assert parse_contractor(row(), default_region="US").channel is Channel.SMS
    email_only = row(phone="", email="ana@example.com")
    assert parse_contractor(email_only, default_region="US").channel is Channel.EMAIL


@pytest.mark.parametrize(
    "name", ["external_id", "name", "timezone", "start_date", "client", "account_manager"]
)
def test_row_parse_missing_required_field_is_named(name: str) -> None:
    assert problems(row(**{name: "  "})) == [(name, "is required")]


def test_row_parse_without_phone_or_email_is_refused() -> None:
    assert problems(row(phone="")) == [("phone", "a phone or an email is required")]


def test_row_parse_channel_without_its_address_is_refused() -> None:
    assert problems(row(phone="", email="a@example.com", channel="sms")) == [
        ("phone", "is required when channel is sms")
    ]
    assert problems(row(channel="email")) == [("email", "is required when channel is email")]


def test_row_parse_end_before_start_is_refused() -> None:
    assert problems(row(end_date="2026-03-01")) == [
        ("end_date", "2026-03-01 is before start_date 2026-03-02")
    ]


def test_row_parse_names_every_bad_field_in_column_order() -> None:
    found = problems(row(timezone="Nowhere", phone="+1 555", start_date="soon"))
    assert [name for name, _ in found] == ["phone", "timezone", "start_date"]


def test_row_parse_value_wider_than_its_column_is_refused() -> None:
    assert problems(row(external_id="x" * 65)) == [("external_id", "is longer than 64 characters")]


def test_row_parse_control_character_is_refused() -> None:
    assert problems(row(name="Ana\x00Ortiz")) == [("name", "contains a control character")]


def test_row_parse_json_number_is_text_but_a_list_is_refused() -> None:
    assert parse_contractor(row(external_id=1002), default_region="US").external_id == "1002"
    assert problems(row(name=["Ana"])) == [("name", 'expected text, got list ["Ana"]')]


def test_row_parse_extra_cells_are_refused() -> None:
    assert problems(row(**{EXTRA_CELLS: ["Jr."]}))[0][0] == "row"


# --- reading text --------------------------------------------------------------------------


def test_csv_read_bom_and_windows_line_endings_gives_physical_lines() -> None:
    data = (
        "\ufeff" + HEADER + "\r\n"
        "C-1,Ana,4155552671,,America/Los_Angeles,,2026-03-02,,Acme,Dana\r\n"
        '"C-2","Sam\r\nLee",,s@example.com,America/New_York,,2026-03-02,,Acme,Dana\r\n'
        "\r\n"
        "C-3,Kim,4155550100,,America/Chicago,,2026-03-02,,Acme,Dana\r\n"
    ).encode()
    lines = list(parse_roster(data))
    assert [(line, values["external_id"]) for line, values in lines] == [
        (2, "C-1"),
        (3, "C-2"),
        (6, "C-3"),
    ]
    assert lines[0][1]["timezone"] == "America/Los_Angeles"


def test_csv_read_header_is_matched_loosely_and_optional_columns_may_be_absent() -> None:
    data = b"External ID; Name ;TimeZone;START_DATE;client;account manager\nC-1;Ana;UTC;x;y;z\n"
    [(line, values)] = list(parse_roster(data))
    assert line == 2
    assert values["external_id"] == "C-1"
    assert values["account_manager"] == "z"


def test_csv_read_missing_required_column_refuses_file_naming_it() -> None:
    with pytest.raises(RosterFileError, match=re.escape("missing required column(s): timezone")):
        parse_roster(HEADER.replace("timezone,", "").encode() + b"\n")


def test_csv_read_unknown_column_refuses_file_naming_it() -> None:
    with pytest.raises(RosterFileError, match=re.escape("unknown column(s): 'phnoe'")):
        parse_roster(HEADER.replace("phone", "phnoe").encode() + b"\n")


def test_csv_read_not_utf8_refuses_file_naming_line() -> None:
    data = (HEADER + "\nC-1,Jos\xe9\n").encode("latin-1")
    with pytest.raises(RosterFileError, match="line 2: the file is not UTF-8"):
        parse_roster(data)


def test_csv_read_empty_file_is_refused() -> None:
    with pytest.raises(RosterFileError, match="empty"):
        parse_roster(b"")


def test_csv_read_surplus_cells_are_kept_for_the_row_check() -> None:
    data = (HEADER + "\nC-1,Ortiz, Ana,,,UTC,,2026-03-02,,Acme,Dana\n").encode()
    [(_, values)] = list(parse_roster(data))
    assert values[EXTRA_CELLS] == ["Dana"]


def test_json_read_items_keep_the_line_they_start_on() -> None:
    rest = (
        '"name": "A", "timezone": "UTC", "start_date": "x", "client": "c", "account_manager": "m"'
    )
    data = f"""[
  {{"external_id": "C-1", {rest}}},

  {{
    "external_id": 2, {rest}
  }}
]
"""
    lines = list(parse_roster(data.encode(), kind="json"))
    assert [(line, values["external_id"]) for line, values in lines] == [(2, "C-1"), (4, 2)]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"external_id": "C-1"}', "must be a list of objects"),
        (b'[\n{"external_id": "C-1"},\n{"external_id": }\n]', "line 3: not valid JSON"),
        (b'[\n{"external_id": "C-1"}\n', "not closed"),
        (b'[\n"C-1"\n]', "line 2: expected an object"),
        (
            b'[{"external_id": "C-1", "phnoe": "1"}]',
            re.escape("unknown key(s): 'phnoe' (first on line 1"),
        ),
        (b'[{"external_id": "C-1"}]', re.escape("missing required key(s) in every object: name")),
    ],
)
def test_json_read_malformed_roster_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(RosterFileError, match=message):
        parse_roster(data, kind="json")


@pytest.mark.parametrize(
    ("raw", "code"),
    [("es", "es"), ("Spanish", "es"), ("Español", "es"), ("es-MX", "es"), ("EN", "en")],
)
def test_language_parse_reads_codes_names_and_regional_tags(raw: str, code: str) -> None:
    assert parse_language(raw) == code


def test_language_parse_unknown_language_names_the_choices() -> None:
    with pytest.raises(ValueError, match="use en or es"):
        parse_language("Klingon")
