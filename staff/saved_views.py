"""Saved views: a queue's filters kept under a name, per staff user. No Flask."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from staff.errors import NotFound, WorkError, required_text
from staff.queue_filters import Filters
from staff.work_models import SavedView

QUEUES = ("support", "care")
MAX_NAME = 80


def for_user(session: Session, user_id: int, queue: str) -> list[SavedView]:
    return list(
        session.scalars(
            select(SavedView)
            .where(SavedView.staff_user_id == user_id, SavedView.queue == queue)
            .order_by(SavedView.name)
        )
    )


def save(session: Session, user_id: int, queue: str, name: str, filters: Filters) -> SavedView:
    """Keep ``filters`` as ``name``; saving under a name already used replaces it."""
    if queue not in QUEUES:
        raise WorkError(f"Queue {queue!r} is not one of {', '.join(QUEUES)}.", "queue")
    text = required_text(name, "name", "The view's name")
    if len(text) > MAX_NAME:
        raise WorkError(f"The view's name is longer than {MAX_NAME} characters.", "name")
    if not filters.active:
        raise WorkError("Choose at least one filter or sort before saving a view.", "name")
    view = session.scalar(
        select(SavedView).where(
            SavedView.staff_user_id == user_id, SavedView.queue == queue, SavedView.name == text
        )
    )
    if view is None:
        view = SavedView(staff_user_id=user_id, queue=queue, name=text)
        session.add(view)
    view.filters = filters.as_args()
    session.flush()
    return view


def delete(session: Session, user_id: int, view_id: int) -> str:
    """Remove one of the user's own views (another user's is not found)."""
    view = session.get(SavedView, view_id)
    if view is None or view.staff_user_id != user_id:
        raise NotFound(f"You have no saved view #{view_id}.")
    session.delete(view)
    return view.name
