"""A contractor's US state, from a roster's ``state`` column or read off a postal address."""

from __future__ import annotations

import re

NAMES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan",
    "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri", "MT": "Montana",
    "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey",
    "NM": "New Mexico", "NY": "New York", "NC": "North Carolina", "ND": "North Dakota",
    "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island",
    "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah",
    "VT": "Vermont", "VA": "Virginia", "WA": "Washington", "WV": "West Virginia",
    "WI": "Wisconsin", "WY": "Wyoming", "PR": "Puerto Rico",
}  # fmt: skip
_BY_NAME = {name.lower(): code for code, name in NAMES.items()}
# "..., Austin, TX 78701" or "..., Austin, Texas 78701-1234": the state right before the ZIP.
_STATE_ZIP = re.compile(
    r"(?:^|[\s,])([A-Za-z][A-Za-z .]*?)\.?,?\s+\d{5}(?:-\d{4})?"
    r"\s*(?:,?\s*(?:USA?|United States))?\s*$"
)


def parse_state(raw: str) -> str:
    """A state's two-letter code from its code or name, any case.

    Raises:
        ValueError: naming what was given and what is expected.
    """
    value = " ".join(raw.replace(".", "").split())
    if value.upper() in NAMES:
        return value.upper()
    code = _BY_NAME.get(value.lower())
    if code is None:
        raise ValueError(f"{raw!r} is not a US state (a code such as TX, or a name such as Texas)")
    return code


def state_from_address(address: str) -> str | None:
    """The state of a US postal address ending "STATE ZIP", or None when it has none we can
    read (an address abroad, or one without a ZIP): not knowing is not an error."""
    match = _STATE_ZIP.search(address.strip())
    if match is None:
        return None
    words = match.group(1).strip().split()
    # The longest state name ending right before the ZIP: "West Virginia", not "Virginia".
    for size in (3, 2, 1):
        candidate = " ".join(words[-size:])
        try:
            return parse_state(candidate)
        except ValueError:
            continue
    return None
