"""Which work is urgent, who hears about it, and on which channels. No Flask here.

The contractor's account manager hears first when they have a staff account (matched by
sign-in email, or by the name the roster uses, ``NotifySettings.known_as``); otherwise the
on-call person of the team that holds the work; otherwise an on-call admin."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from staff.models import Role, StaffUser
from staff.notify.models import NotifyChannel, NotifySettings
from surveys.categories import Category, Priority
from surveys.models import Alert, AlertKind, Severity, Team, Ticket


def is_urgent(item: Ticket | Alert) -> bool:
    """Safety and intent to quit, whatever their level; anything marked urgent."""
    if isinstance(item, Ticket):
        return item.priority == Priority.URGENT or item.category == Category.SAFETY_HARASSMENT
    return item.severity == Severity.URGENT or item.kind == AlertKind.QUIT_INTENT


def urgent_clause(model: type[Ticket] | type[Alert]) -> ColumnElement[bool]:
    """:func:`is_urgent` as SQL, for the sweep."""
    if model is Ticket:
        return or_(
            Ticket.priority == Priority.URGENT, Ticket.category == Category.SAFETY_HARASSMENT
        )
    return or_(Alert.severity == Severity.URGENT, Alert.kind == AlertKind.QUIT_INTENT)


def team_of(item: Ticket | Alert) -> str:
    return item.team if isinstance(item, Ticket) else Team.CARE


def recipients(session: Session, item: Ticket | Alert) -> list[StaffUser]:
    manager = (item.contractor.account_manager if item.contractor else "").strip().lower()
    if manager:
        found = session.scalars(
            select(StaffUser)
            .outerjoin(NotifySettings, NotifySettings.staff_user_id == StaffUser.id)
            .where(
                StaffUser.active.is_(True),
                or_(
                    func.lower(StaffUser.email) == manager,
                    func.lower(NotifySettings.known_as) == manager,
                ),
            )
            .order_by(StaffUser.id)
        ).all()
        if found:
            return list(found)
    for role in (team_of(item), Role.ADMIN):
        on_call = session.scalars(
            select(StaffUser)
            .join(NotifySettings, NotifySettings.staff_user_id == StaffUser.id)
            .where(
                StaffUser.active.is_(True),
                StaffUser.role == role,
                NotifySettings.on_call.is_(True),
            )
            .order_by(StaffUser.id)
        ).all()
        if on_call:
            return list(on_call)
    return []


def channels(session: Session, user: StaffUser) -> list[tuple[str, str]]:
    """(channel, address) pairs the user chose; email alone when they chose nothing."""
    chosen = session.get(NotifySettings, user.id)
    if chosen is None:
        return [(NotifyChannel.EMAIL, user.email)]
    pairs: list[tuple[str, str]] = []
    if chosen.by_email:
        pairs.append((NotifyChannel.EMAIL, user.email))
    if chosen.slack_url:
        pairs.append((NotifyChannel.SLACK, chosen.slack_url))
    if chosen.teams_url:
        pairs.append((NotifyChannel.TEAMS, chosen.teams_url))
    return pairs
