"""Signing in and out, and the landing page."""

from __future__ import annotations

import math
from typing import Any

from flask import flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from core.db import request_session
from staff import accounts, audit, throttle
from staff.auth import any_staff, begin_session, end_session, safe_next, this_session
from staff.errors import WorkError
from staff.forms import PasswordChangeForm, SignInForm
from staff.views import bp, done, fail, home_for


def _wait_text(seconds: float) -> str:
    if seconds < 90:
        return f"{math.ceil(seconds)} seconds"
    return f"{math.ceil(seconds / 60)} minutes"


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(home_for(current_user.role))
    form = SignInForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        session = request_session()
        email = form.email.data or ""
        address = request.remote_addr or "unknown"
        wait = throttle.retry_after(session, email, address)
        if wait.total_seconds() > 0:
            # No password is checked while waiting, so guessing on gains nothing.
            known = accounts.find_by_email(session, email)
            detail: dict[str, Any] = {"address": address}
            if known is None:
                detail["email"] = accounts.normalise_email(email)[:320]
            audit.record(session, known.id if known else None, "sign_in_throttled", **detail)
            session.commit()
            form.form_errors.append(
                "Too many failed sign-ins for this account or from this network. "
                f"Try again in {_wait_text(wait.total_seconds())}."
            )
            answer = make_response(render_template("staff/sign_in.html", form=form), 429)
            answer.headers["Retry-After"] = str(math.ceil(wait.total_seconds()))
            return answer
        user, ok = accounts.authenticate(session, email, form.password.data or "")
        if ok and user is not None:
            begin_session(user)
            throttle.clear_account(session, email)
            audit.record(session, user.id, "sign_in", address=address)
            session.commit()
            return redirect(safe_next(form.next.data) or home_for(user.role))
        throttle.record_failure(session, email, address)
        detail = {"address": address}
        if user is None and "@" in email:
            detail["email"] = accounts.normalise_email(email)[:320]
        audit.record(session, user.id if user else None, "sign_in_failed", **detail)
        session.commit()
        form.form_errors.append("That email and password do not match an active account.")
    return render_template("staff/sign_in.html", form=form)


@bp.post("/sign-out")
@any_staff
def sign_out() -> ResponseReturnValue:
    session = request_session()
    audit.record(session, current_user.id, "sign_out", address=request.remote_addr)
    end_session()
    session.commit()
    flash("You are signed out.", "info")
    return redirect(url_for(".sign_in"))


@bp.route("/account/password", methods=["GET", "POST"])
@any_staff
def change_password() -> ResponseReturnValue:
    form = PasswordChangeForm()
    if form.validate_on_submit():
        session = request_session()
        try:
            ended = accounts.change_own_password(
                session,
                current_user,
                form.current.data or "",
                form.password.data or "",
                keep=this_session(),
            )
        except accounts.AccountError as exc:
            session.rollback()
            field = "current" if str(exc).startswith("current") else "password"
            fail(form, WorkError(str(exc)[:1].upper() + str(exc)[1:] + ".", field))
        else:
            session.commit()
            done(f"Password changed. Sessions signed out elsewhere: {ended}.")
            return redirect(home_for(current_user.role), 303)
    status = 400 if form.is_submitted() else 200
    return render_template("staff/password.html", form=form), status


@bp.get("/")
@any_staff
def index() -> ResponseReturnValue:
    return redirect(home_for(current_user.role))
