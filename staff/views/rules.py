"""The Reading rules page (admin): the must-catch rules in force, and staff's own phrases."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from core.db import request_session
from staff import inbox, reading_rules
from staff.auth import role_required
from staff.errors import WorkError
from staff.forms import MustCatchForm, choices
from staff.models import Role
from staff.views import bp, done, fail
from surveys import must_catch
from surveys.categories import PRIORITIES, Category


def _form(*, submitted: bool) -> MustCatchForm:
    """The add-a-phrase form: as posted, or empty with safety at the top priority."""
    form = (
        MustCatchForm()
        if submitted
        else MustCatchForm(
            formdata=None, category=Category.SAFETY_HARASSMENT, priority=PRIORITIES[0]
        )
    )
    form.category.choices = choices(
        (c, inbox.category_label(c)) for c in reading_rules.RULE_CATEGORIES
    )
    form.priority.choices = choices((p, p.capitalize()) for p in PRIORITIES)
    return form


def _render(form: MustCatchForm | None = None, status: int = 200) -> ResponseReturnValue:
    session = request_session()
    return (
        render_template(
            "staff/reading_rules.html",
            form=form or _form(submitted=False),
            phrases=reading_rules.staff_phrases(session),
            packaged=reading_rules.packaged_rules(),
        ),
        status,
    )


@bp.get("/reading-rules")
@role_required(Role.ADMIN)
def reading_rules_page() -> ResponseReturnValue:
    return _render()


@bp.post("/reading-rules")
@role_required(Role.ADMIN)
def add_must_catch() -> ResponseReturnValue:
    form = _form(submitted=True)
    session = request_session()
    try:
        new = reading_rules.check_phrase({name: f.data for name, f in form._fields.items()})
        phrase = reading_rules.add_phrase(session, new, by=current_user.id)
        reach = reading_rules.reach_of(new)
    except WorkError as exc:
        session.rollback()
        fail(form, exc)
        return _render(form, 400)
    session.commit()
    done(
        f"Added {phrase.phrase!r} as {must_catch.rule_id(phrase.id)}: it reads every reply "
        "from now on. "
        f"It fires on {reach.fired} of {reach.replies} labelled replies"
        f"{f', {reach.wrong} of them not {new.category}' if reach.wrong else ''}."
    )
    return redirect(url_for(".reading_rules_page"), 303)


@bp.post("/reading-rules/<int:phrase_id>")
@role_required(Role.ADMIN)
def switch_must_catch(phrase_id: int) -> ResponseReturnValue:
    wanted = request.form.get("active", "")
    if wanted not in ("on", "off"):
        abort(400, f"active={wanted!r} is not 'on' or 'off'")
    session = request_session()
    changed = reading_rules.set_active(session, phrase_id, wanted == "on", by=current_user.id)
    session.commit()
    if changed:
        state = "back in force" if wanted == "on" else "switched off"
        done(f"{must_catch.rule_id(phrase_id)} is {state}.")
    else:
        done("Nothing changed.")
    return redirect(url_for(".reading_rules_page"), 303)
