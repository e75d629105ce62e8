"""Slowing down repeated failed sign-ins, per account and per address.

The failures are counted in the database, not in Redis. Signing in needs the database anyway,
so the throttle adds no new way to fail: with a Redis-backed limiter, Redis being down would
force a choice between failing open (no throttle at all, exactly when an attacker might have
caused the outage) and failing closed (nobody can sign in although every page works). A
per-process fallback in memory would let a guesser multiply their attempts by the number of
web processes. One indexed count per attempt is cheap next to the password hash itself.

The policy: a few failures are free; after that each further attempt must wait twice as long
as the last, counted from the latest failure, up to ``WINDOW``. Failures older than
``WINDOW`` no longer count. A refused attempt checks no password and counts for nothing, so
waiting is all it takes. A successful sign-in clears its account's failures, not its
address's (one valid account must not reset a guesser's address).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from core.clock import now
from staff.accounts import normalise_email
from staff.models import SignInFailure

WINDOW = timedelta(minutes=15)
FREE_PER_ACCOUNT = 5
# One office behind one address holds many honest people who mistype.
FREE_PER_ADDRESS = 20
FIRST_WAIT = timedelta(seconds=30)


def wait_after(failures: int, free: int) -> timedelta:
    """How long to wait after the latest of ``failures`` before the next attempt."""
    if failures < free:
        return timedelta(0)
    return min(FIRST_WAIT * 2 ** (failures - free), WINDOW)


def _key(email: str) -> str:
    return normalise_email(email)[:320]


def retry_after(session: Session, email: str, address: str) -> timedelta:
    """How long this account and this address must wait before trying again (zero: now)."""
    current = now()
    since = current - WINDOW
    longest = timedelta(0)
    for column, value, free in (
        (SignInFailure.email, _key(email), FREE_PER_ACCOUNT),
        (SignInFailure.address, address[:64], FREE_PER_ADDRESS),
    ):
        count, latest = session.execute(
            select(func.count(SignInFailure.id), func.max(SignInFailure.at)).where(
                column == value, SignInFailure.at > since
            )
        ).one()
        if count:
            longest = max(longest, latest + wait_after(count, free) - current)
    return longest


def record_failure(session: Session, email: str, address: str) -> None:
    current = now()
    session.add(SignInFailure(email=_key(email), address=address[:64], at=current))
    # Kept small: nothing older than the window is ever counted again.
    session.execute(delete(SignInFailure).where(SignInFailure.at < current - WINDOW))


def clear_account(session: Session, email: str) -> None:
    session.execute(delete(SignInFailure).where(SignInFailure.email == _key(email)))
