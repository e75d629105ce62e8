"""Staff accounts: creating them and checking a password. No Flask here."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from outreach.normalise import normalise_email as address_of
from staff import audit, sessions
from staff.models import Role, StaffUser

MIN_PASSWORD_LENGTH = 8  # NIST SP 800-63B minimum

# Checked against when the email is unknown, so a wrong email costs as long as a wrong
# password and the response time does not tell which accounts exist.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class AccountError(ValueError):
    """An account cannot be created as asked; the message names the field."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_email(email: str) -> str:
    """Return the normalised email.

    Raises:
        AccountError: the email is not an address (see
            :func:`outreach.normalise.normalise_email`, the one address check).
    """
    try:
        # Staff sign in by address: the whole of it is compared without case.
        return normalise_email(address_of(email))
    except ValueError:
        raise AccountError(f"email {email!r} is not an email address") from None


def check_role(role: str) -> Role:
    try:
        return Role(role.strip().lower())
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise AccountError(f"role {role!r} is not one of {choices}") from None


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    return password


def find_by_email(session: Session, email: str) -> StaffUser | None:
    query = select(StaffUser).where(func.lower(StaffUser.email) == normalise_email(email))
    return session.scalars(query).first()


def create_user(session: Session, email: str, role: str, password: str) -> StaffUser:
    """Add a staff user to ``session`` (the caller commits).

    Raises:
        AccountError: bad email, role or password, or the email is already taken.
    """
    address = check_email(email)
    user_role = check_role(role)
    check_password(password)
    if find_by_email(session, address) is not None:
        raise AccountError(f"a staff user with email {address} already exists")
    user = StaffUser(email=address, role=user_role.value, active=True)
    user.set_password(password)
    try:
        # A savepoint, so losing a race for the same email leaves the caller's session usable.
        with session.begin_nested():
            session.add(user)
    except IntegrityError:
        raise AccountError(f"a staff user with email {address} already exists") from None
    return user


def authenticate(session: Session, email: str, password: str) -> tuple[StaffUser | None, bool]:
    """Check a sign-in attempt.

    Returns:
        ``(user, ok)``: the account the email names (None when unknown) and whether the
        password is right for an active account.
    """
    user = find_by_email(session, email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None, False
    return user, user.check_password(password) and user.active


def list_users(session: Session) -> list[StaffUser]:
    return list(
        session.scalars(select(StaffUser).order_by(StaffUser.active.desc(), StaffUser.email))
    )


def emails(session: Session, user_ids: set[int | None]) -> dict[int, str]:
    """Staff emails by id, for showing who holds or did something."""
    wanted = {i for i in user_ids if i is not None}
    if not wanted:
        return {}
    return dict(
        session.execute(select(StaffUser.id, StaffUser.email).where(StaffUser.id.in_(wanted))).all()
    )


def change_user(session: Session, user_id: int, *, role: str, active: bool, by: int) -> list[str]:
    """Change another account's role or switch it on or off; returns what changed.

    Raises:
        AccountError: unknown role, unknown user, or an admin changing their own account
            (which could leave nobody able to manage users).
    """
    new_role = check_role(role)
    user = session.get(StaffUser, user_id)
    if user is None:
        raise AccountError(f"there is no staff user #{user_id}")
    if user.id == by:
        raise AccountError("you cannot change your own role or switch yourself off")
    changed = []
    if user.role != new_role:
        changed.append("role")
        user.role = new_role.value
    if user.active != active:
        changed.append("active")
        user.active = active
        if not active:
            # Switching back on later must not bring an old, perhaps copied, cookie back.
            sessions.end_all(session, user.id)
    if changed:
        audit.record(
            session, by, "staff_user_changed", "staff_user", user.id, role=user.role, active=active
        )
    return changed


def set_password(
    session: Session, user: StaffUser, password: str, *, by: int | None, keep: str | None = None
) -> int:
    """Give ``user`` a new password and end every session of theirs but ``keep``.

    A password is changed because someone else may know it, so whoever signed in with the old
    one is signed out. Returns how many sessions ended (the caller commits).

    Raises:
        AccountError: the new password is too short.
    """
    user.set_password(check_password(password))
    ended = sessions.end_all(session, user.id, keep=keep)
    audit.record(session, by, "password_changed", "staff_user", user.id, sessions_ended=ended)
    return ended


def change_own_password(
    session: Session, user: StaffUser, current: str, new: str, *, keep: str | None
) -> int:
    """A signed-in user changes their own password; their other sessions end.

    Raises:
        AccountError: the current password is wrong (field ``current``) or the new one is too
            short (field ``password``).
    """
    if not user.check_password(current):
        raise AccountError("current password is not right")
    return set_password(session, user, new, by=user.id, keep=keep)
