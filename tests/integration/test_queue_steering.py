"""Steering the queues through the pages: filters, search, sort, saved views, bulk actions,
the SLA column, and linked work resolved together. CSRF on, as a browser would."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from staff import sla
from staff.models import StaffUser
from staff.work_models import SavedView
from surveys.models import Alert, Ticket
from tests.conftest import FrozenClock
from tests.factories import (
    DEFAULT_STAFF_PASSWORD,
    make_alert,
    make_contractor,
    make_response,
    make_staff_user,
    make_ticket,
)
from tests.staff_helpers import Staff, signed_in


def _as(app: Flask, user: StaffUser, session: Session | None = None) -> Staff:
    if session is not None:
        session.commit()  # the page's own session must see the account
    return signed_in(app.test_client(), user.email, DEFAULT_STAFF_PASSWORD)


def _seed(session: Session, clock: FrozenClock) -> dict[str, int]:
    ana = make_contractor(session, name="Ana Lima", client="Globex", language="es")
    kim = make_contractor(session, name="Kim Lee", client="Acme Corp", account_manager="Lee Park")
    ids = {
        "ana_pay": make_ticket(
            session,
            contractor_id=ana.id,
            category="timecard_pay",
            priority="high",
            summary="My check bounced",
            created_at=clock.current - timedelta(hours=3),
        ).id,
        "kim_safety": make_ticket(
            session,
            contractor_id=kim.id,
            category="safety_harassment",
            priority="urgent",
            summary="Forklift without guard",
            created_at=clock.current - timedelta(hours=1),
        ).id,
        "kim_hours": make_ticket(
            session,
            contractor_id=kim.id,
            category="hours_scope",
            priority="normal",
            summary="Asked to stay late",
            created_at=clock.current - timedelta(hours=2),
        ).id,
    }
    reply = make_response(session, contractor_id=ana.id, text="2 my PAYCHECK bounced")
    pay = session.get_one(Ticket, ids["ana_pay"])
    pay.responses.append(reply)
    session.commit()
    return ids


def _rows(html: str, ids: dict[str, int]) -> list[str]:
    found = [(html.find(f'id="ticket-row-{i}"'), name) for name, i in ids.items()]
    return [name for at, name in sorted(found) if at >= 0]


def test_queue_filters_search_and_sort_narrow_the_support_queue(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    me = make_staff_user(session, role="support")
    ids = _seed(session, clock)
    staff = _as(app, me)

    assert _rows(staff.page("/staff/support"), ids) == ["kim_safety", "ana_pay", "kim_hours"]
    assert _rows(staff.page("/staff/support?client=Acme+Corp"), ids) == [
        "kim_safety",
        "kim_hours",
    ]
    assert _rows(staff.page("/staff/support?language=es"), ids) == ["ana_pay"]
    assert _rows(staff.page("/staff/support?manager=Lee+Park&sort=oldest"), ids) == [
        "kim_hours",
        "kim_safety",
    ]
    assert _rows(staff.page("/staff/support?q=forklift"), ids) == ["kim_safety"]
    assert _rows(staff.page("/staff/support?q=paycheck"), ids) == ["ana_pay"]  # the reply's words
    assert _rows(staff.page("/staff/support?q=ana+lim"), ids) == ["ana_pay"]
    assert _rows(staff.page("/staff/support?q=100%25"), ids) == []  # % is a letter, not a wildcard
    assert _rows(staff.page("/staff/support?category=hours_scope&priority=normal"), ids) == [
        "kim_hours"
    ]
    assert _rows(staff.page("/staff/support?assignee=none&sort=newest"), ids) == [
        "kim_safety",
        "kim_hours",
        "ana_pay",
    ]


def test_queue_bad_filter_is_a_400_naming_the_argument(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    staff = _as(app, make_staff_user(session, role="support"), session)
    for query, named in (
        ("sla=late", "sla="),
        ("sort=random", "sort="),
        ("assignee=bob", "assignee="),
    ):
        answer = staff.get(f"/staff/support?{query}")
        assert answer.status_code == 400
        assert named in answer.get_data(as_text=True)


def test_queue_sla_filter_and_column_show_time_left(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    me = make_staff_user(session, role="support")
    ids = _seed(session, clock)
    sla.sweep(session)  # urgent: 1 h to first response, opened 1 h ago -> overdue
    session.commit()
    staff = _as(app, me)

    assert _rows(staff.page("/staff/support?sla=breached"), ids) == ["kim_safety"]
    page = staff.page("/staff/support?sla=on_time")
    assert _rows(page, ids) == ["ana_pay", "kim_hours"]
    assert "left (business hours)" in page
    assert "Overdue" in staff.page("/staff/support")


def test_queue_saved_view_is_kept_per_user_and_reopens_the_filters(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    me = make_staff_user(session, role="support")
    other = make_staff_user(session, role="support")
    ids = _seed(session, clock)
    staff = _as(app, me)

    answer = staff.post(
        "/staff/support/views",
        name="Acme urgent",
        f_view="open",
        f_client="Acme Corp",
        f_priority="urgent",
    )
    assert answer.status_code == 303
    assert "client=Acme" in answer.headers["Location"]
    page = staff.page("/staff/support")
    assert "Acme urgent" in page
    [view] = session.scalars(select(SavedView)).all()
    assert view.filters == {"client": "Acme Corp", "priority": "urgent"}
    assert _rows(staff.page("/staff/support?client=Acme+Corp&priority=urgent"), ids) == [
        "kim_safety"
    ]
    assert "Acme urgent" not in _as(app, other).page("/staff/support")

    empty = staff.post("/staff/support/views", name="Nothing")
    assert empty.status_code == 303
    assert "Choose at least one filter" in staff.page("/staff/support")
    bad = staff.post("/staff/support/views", name="Odd", f_sla="soon")
    assert bad.status_code == 303
    assert "sla=&#39;soon&#39;" in staff.page("/staff/support")
    assert staff.post(f"/staff/support/views/{view.id}/delete").status_code == 303
    assert session.scalars(select(SavedView)).all() == []


def test_queue_bulk_resolve_keeps_the_good_part_and_names_the_rest(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    me = make_staff_user(session, role="support")
    ids = _seed(session, clock)
    handed = make_ticket(session, team="care").id
    session.commit()
    staff = _as(app, me)

    answer = staff.client.post(
        "/staff/support/bulk",
        data={
            "csrf_token": staff.token,
            "action": "resolve",
            "note": "Fixed with payroll",
            "tickets": [str(ids["ana_pay"]), str(ids["kim_hours"]), str(handed), "999999"],
        },
    )
    assert answer.status_code == 303
    session.expire_all()
    statuses = {t.id: t.status for t in session.scalars(select(Ticket))}
    assert statuses[ids["ana_pay"]] == statuses[ids["kim_hours"]] == "resolved"
    assert statuses[ids["kim_safety"]] == statuses[handed] == "open"
    page = staff.page("/staff/support")
    assert f"#{handed}: Ticket #{handed} is with Care" in page
    assert "#999999: There is no ticket #999999" in page

    no_note = staff.client.post(
        "/staff/support/bulk",
        data={"csrf_token": staff.token, "action": "resolve", "tickets": [str(ids["kim_safety"])]},
    )
    assert no_note.status_code == 303
    assert "The resolution must not be empty" in staff.page("/staff/support")
    junk = staff.client.post(
        "/staff/support/bulk",
        data={"csrf_token": staff.token, "action": "assign", "tickets": ["x"]},
    )
    assert junk.status_code == 303
    assert "&#39;x&#39; is not an item number" in staff.page("/staff/support")


def test_queue_bulk_assign_on_care_moves_alerts_and_audits(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    lead = make_staff_user(session, role="care")
    ann = make_staff_user(session, role="care")
    first, second = make_alert(session).id, make_alert(session).id
    session.commit()
    staff = _as(app, lead)

    answer = staff.client.post(
        "/staff/care/bulk",
        data={
            "csrf_token": staff.token,
            "action": "assign",
            "assignee": str(ann.id),
            "alerts": [str(first), str(second)],
        },
    )
    assert answer.status_code == 303
    session.expire_all()
    assert {a.assignee_id for a in session.scalars(select(Alert))} == {ann.id}
    assert f"?assignee={ann.id}" not in answer.headers["Location"]
    assert "Assigned 2 alert(s)" in staff.page("/staff/care")


def test_queue_support_cannot_post_to_the_care_queue(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    staff = _as(app, make_staff_user(session, role="support"), session)
    assert staff.post("/staff/care/bulk", action="resolve").status_code == 403
    assert staff.post("/staff/nope/views", name="x").status_code == 404


def test_linked_work_from_one_reply_is_shown_and_resolved_together(
    app: Flask, session: Session, clock: FrozenClock
) -> None:
    lead = make_staff_user(session, role="care")
    contractor = make_contractor(session)
    reply = make_response(session, contractor_id=contractor.id, text="<b>quit</b> over my pay")
    ticket = make_ticket(session, contractor_id=contractor.id, team="care")
    ticket.responses.append(reply)
    alert = make_alert(session, contractor_id=contractor.id, kind="quit_intent")
    alert.responses.append(reply)
    unrelated = make_alert(session, contractor_id=make_contractor(session).id)
    session.commit()
    staff = _as(app, lead)

    page = staff.page(f"/staff/alerts/{alert.id}")
    assert "Linked work still open" in page
    assert f"Ticket #{ticket.id}" in page and "raised by the same reply" in page
    assert f"Alert #{unrelated.id}" not in page

    answer = staff.client.post(
        "/staff/linked/resolve",
        data={
            "csrf_token": staff.token,
            "back": f"alert-{alert.id}",
            "outcome": "Called her.",
            "items": [f"ticket-{ticket.id}", f"alert-{alert.id}"],
        },
    )
    assert answer.status_code == 303
    session.expire_all()
    assert session.get_one(Ticket, ticket.id).status == "resolved"
    assert session.get_one(Alert, alert.id).status == "resolved"
    assert session.get_one(Alert, unrelated.id).status == "open"
    bad = staff.post("/staff/linked/resolve", back="nothing")
    assert bad.status_code == 400
