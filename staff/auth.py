"""Who is signed in (Flask-Login) and what their role lets them open."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import abort
from flask import session as cookie_session
from flask_login import LoginManager, current_user, login_user, logout_user

from core.db import request_session
from staff import sessions
from staff.models import Role, StaffUser

login_manager = LoginManager()
login_manager.login_view = "staff.sign_in"
login_manager.login_message = "Please sign in to see that page."
login_manager.login_message_category = "info"

F = TypeVar("F", bound=Callable[..., Any])

# Where the cookie keeps this browser's session token (see staff.sessions).
SESSION_KEY = "staff_session"


@login_manager.user_loader
def load_user(user_id: str) -> StaffUser | None:
    """The signed-in account, only while its session is open and the account is active."""
    try:
        key = int(user_id)
    except ValueError:
        return None
    return sessions.user_for(request_session(), key, cookie_session.get(SESSION_KEY))


def begin_session(user: StaffUser) -> None:
    """Sign ``user`` in on a fresh cookie: nothing from before sign-in carries over."""
    cookie_session.clear()
    token = sessions.start(request_session(), user)
    login_user(user)
    cookie_session[SESSION_KEY] = token


def end_session() -> None:
    """Sign out this browser; a copy of its cookie stops working too."""
    sessions.end(request_session(), cookie_session.get(SESSION_KEY))
    logout_user()
    cookie_session.clear()


def this_session() -> str | None:
    token = cookie_session.get(SESSION_KEY)
    return token if isinstance(token, str) else None


def role_allows(role: str, allowed: tuple[str, ...]) -> bool:
    return role == Role.ADMIN or role in allowed


def role_required(*roles: str) -> Callable[[F], F]:
    """Let signed-in staff with one of ``roles`` in (admin always); others get 403.

    Anonymous visitors are sent to the sign-in page, so this replaces ``login_required``.
    """
    allowed = tuple(Role(r).value for r in roles)  # a typo fails at import, not at request

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not role_allows(current_user.role, allowed):
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorate


def any_staff(view: F) -> F:
    """Any signed-in staff member, whatever the role."""
    return role_required(*Role)(view)


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None: never bounce a sign-in elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    # Browsers drop tabs and newlines inside URLs, so "/\t/evil.example" would become "//...".
    if any(ord(c) <= 0x20 or ord(c) == 0x7F for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
