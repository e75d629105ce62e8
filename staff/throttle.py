"""Slowing down repeated failed sign-ins without letting a stranger lock anyone out.

The failures are counted in the database, not in Redis. Signing in needs the database anyway,
so the throttle adds no new way to fail: with a Redis-backed limiter, Redis being down would
force a choice between failing open (no throttle at all, exactly when an attacker might have
caused the outage) and failing closed (nobody can sign in although every page works). A
per-process fallback in memory would let a guesser multiply their attempts by the number of
web processes. One indexed count per attempt is cheap next to the password hash itself.

What is counted, and why:

- per address and account: one address guessing one account is slowed after a few misses;
- per address: one address trying many accounts is slowed after more (an office shares one);
- never per account alone: a count any address can add to would let a stranger lock a named
  account by typing wrong passwords for it, and the owner could not sign in from anywhere.
  Guessing spread over many addresses at one account is bounded instead by holding each
  address that has missed on that account for the whole window (``ATTACK_ADDRESSES``);
- a browser that signed in to the account before carries a device cookie (OWASP's "device
  cookies"); its attempts are counted for that browser alone, so the owner gets in even from
  the address a guesser is using. Only a successful sign-in issues one.

IPv6 addresses count by their /64, which one subscriber usually holds whole. A few failures are
free; after that each further attempt must wait twice as long as the last, counted from the
latest failure, up to ``WINDOW``. Failures older than ``WINDOW`` no longer count. A refused
attempt checks no password and counts for nothing, so waiting is all it takes.
"""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import ColumnElement, and_, delete, func, select
from sqlalchemy.orm import Session

from core.clock import now
from staff.accounts import normalise_email
from staff.models import SignInFailure

WINDOW = timedelta(minutes=15)
FREE_PER_ACCOUNT = 5  # from one address, or from one known browser
# One office behind one address holds many honest people who mistype.
FREE_PER_ADDRESS = 20
FIRST_WAIT = timedelta(seconds=30)
# Guessing spread over this many addresses at one account: each of them that has missed on it
# waits the whole window before its next try there. Addresses that have not missed on it, and
# known browsers, are not held, so this never keeps the owner's right password out.
ATTACK_ADDRESSES = 10

DEVICE_COOKIE = "pulse_device"
DEVICE_LIFETIME = timedelta(days=90)
_DEVICE_SALT = "staff-sign-in-device"


@dataclass(frozen=True)
class Attempt:
    """Who is trying: the account named, from where, and from which known browser if any."""

    email: str
    address: str
    device: str | None = None

    @classmethod
    def of(cls, email: str, remote_address: str, device: str | None = None) -> Attempt:
        return cls(normalise_email(email)[:320], address_key(remote_address), device)


def address_key(remote_address: str) -> str:
    """The address as counted: IPv6 by its /64, anything unparseable as given (cut to fit)."""
    try:
        parsed = ipaddress.ip_address(remote_address)
    except ValueError:
        return remote_address[:64]
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


def wait_after(failures: int, free: int) -> timedelta:
    """How long to wait after the latest of ``failures`` before the next attempt."""
    if failures < free:
        return timedelta(0)
    return min(FIRST_WAIT * 2 ** (failures - free), WINDOW)


def _here(attempt: Attempt) -> ColumnElement[bool]:
    """Misses at this account from this address by browsers it does not know."""
    return and_(
        SignInFailure.device.is_(None),
        SignInFailure.address == attempt.address,
        SignInFailure.email == attempt.email,
    )


def _counted(attempt: Attempt) -> list[tuple[ColumnElement[bool], int]]:
    if attempt.device is not None:
        return [(SignInFailure.device == attempt.device, FREE_PER_ACCOUNT)]
    from_address = and_(SignInFailure.device.is_(None), SignInFailure.address == attempt.address)
    return [(_here(attempt), FREE_PER_ACCOUNT), (from_address, FREE_PER_ADDRESS)]


def _misses(
    session: Session, condition: ColumnElement[bool], since: datetime
) -> tuple[int, datetime | None]:
    count, latest = session.execute(
        select(func.count(SignInFailure.id), func.max(SignInFailure.at)).where(
            condition, SignInFailure.at > since
        )
    ).one()
    return int(count), latest


def retry_after(session: Session, attempt: Attempt) -> timedelta:
    """How long this attempt must wait before a password is checked (zero: now)."""
    current = now()
    since = current - WINDOW
    longest = timedelta(0)
    for condition, free in _counted(attempt):
        count, latest = _misses(session, condition, since)
        if latest is not None:
            longest = max(longest, latest + wait_after(count, free) - current)
    if attempt.device is None and _under_attack(session, attempt.email, since):
        _count, latest_here = _misses(session, _here(attempt), since)
        if latest_here is not None:
            longest = max(longest, latest_here + WINDOW - current)
    return longest


def _under_attack(session: Session, email: str, since: datetime) -> bool:
    """Whether unknown browsers at many addresses have missed on this account lately."""
    addresses = session.scalar(
        select(func.count(func.distinct(SignInFailure.address))).where(
            SignInFailure.email == email,
            SignInFailure.device.is_(None),
            SignInFailure.at > since,
        )
    )
    return (addresses or 0) >= ATTACK_ADDRESSES


def record_failure(session: Session, attempt: Attempt) -> None:
    current = now()
    session.add(
        SignInFailure(
            email=attempt.email, address=attempt.address, device=attempt.device, at=current
        )
    )
    # Kept small: nothing older than the window is ever counted again.
    session.execute(delete(SignInFailure).where(SignInFailure.at < current - WINDOW))


def clear(session: Session, attempt: Attempt) -> None:
    """After a successful sign-in: forget this address's or browser's misses on the account.

    Never the account's misses from elsewhere, or signing in would reset a guesser's count.
    """
    mine = SignInFailure.device == attempt.device if attempt.device else _here(attempt)
    session.execute(delete(SignInFailure).where(mine))


def device_cookie(secret_key: str, user_id: int) -> str:
    """A new device cookie saying "this browser signed in to account ``user_id``"."""
    payload = {"u": user_id, "d": secrets.token_hex(16), "t": int(now().timestamp())}
    return str(URLSafeSerializer(secret_key, salt=_DEVICE_SALT).dumps(payload))


def known_device(secret_key: str, cookie: str | None, user_id: int | None) -> str | None:
    """The browser's id when ``cookie`` is ours, recent, and for account ``user_id``."""
    if not cookie or user_id is None:
        return None
    try:
        payload = URLSafeSerializer(secret_key, salt=_DEVICE_SALT).loads(cookie)
    except BadSignature:
        return None
    if not isinstance(payload, dict) or payload.get("u") != user_id:
        return None
    issued, device = payload.get("t"), payload.get("d")
    if not isinstance(issued, int) or not isinstance(device, str):
        return None
    if issued < (now() - DEVICE_LIFETIME).timestamp():
        return None
    return device
