"""The flagged-reply inbox's states, moved in bulk through the page and audited."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from staff.models import AuditEvent
from staff.work_models import InboxItem
from tests.factories import DEFAULT_STAFF_PASSWORD, make_contractor, make_response, make_staff_user
from tests.staff_helpers import signed_in


def test_inbox_states_move_in_bulk_filter_and_keep_the_good_part(
    app: Flask, session: Session
) -> None:
    me = make_staff_user(session, role="care")
    ann = make_staff_user(session, role="care")
    who = make_contractor(session, name="Rosa Diaz")
    first, second, third = (
        make_response(session, contractor_id=who.id, text=t, flagged=True).id
        for t in ("pay late", "<script>x</script> quit", "badge broken")
    )
    quiet = make_response(session, contractor_id=who.id, text="all good", flagged=False).id
    session.commit()
    staff = signed_in(app.test_client(), me.email, DEFAULT_STAFF_PASSWORD)

    page = staff.page("/staff/replies?state=new")
    assert page.count('name="replies"') == 3
    assert "&lt;script&gt;x&lt;/script&gt;" in page

    answer = staff.client.post(
        "/staff/replies/state",
        data={"csrf_token": staff.token, "state": "dismissed", "replies": [str(first), str(quiet)]},
    )
    assert answer.status_code == 303
    assigned = staff.client.post(
        "/staff/replies/state",
        data={
            "csrf_token": staff.token,
            "state": "assigned",
            "assignee": str(ann.id),
            "replies": [str(second)],
        },
    )
    assert assigned.status_code == 303

    states = {r.response_id: (r.state, r.assignee_id) for r in session.scalars(select(InboxItem))}
    assert states == {first: ("dismissed", None), second: ("assigned", ann.id)}
    assert f"#{quiet}: Reply #{quiet} is not a flagged reply." in staff.page("/staff/replies")
    assert staff.page("/staff/replies?state=new").count('name="replies"') == 1
    assert f"pick-reply-{third}" in staff.page("/staff/replies?state=new")
    assert f"pick-reply-{second}" in staff.page("/staff/replies?state=assigned")
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "inbox_state_changed").order_by(AuditEvent.id)
    ).all()
    assert [(e.target_id, e.detail["before"], e.detail["after"]) for e in events] == [
        (first, "new", "dismissed"),
        (second, "new", "assigned"),
    ]

    no_one = staff.client.post(
        "/staff/replies/state",
        data={"csrf_token": staff.token, "state": "assigned", "replies": [str(third)]},
    )
    assert no_one.status_code == 303
    assert "Choose who to assign the replies to" in staff.page("/staff/replies")
    assert staff.get("/staff/replies?state=lost").status_code == 400
