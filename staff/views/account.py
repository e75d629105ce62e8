"""Signing in and out, and the landing page."""

from __future__ import annotations

import math
from typing import Any

from flask import current_app, flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.wrappers import Response as WerkzeugResponse

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


def _remember_browser(answer: WerkzeugResponse, user_id: int) -> None:
    """Mark this browser as one the account signed in from (see staff.throttle)."""
    answer.set_cookie(
        throttle.DEVICE_COOKIE,
        throttle.device_cookie(current_app.config["SECRET_KEY"], user_id),
        max_age=int(throttle.DEVICE_LIFETIME.total_seconds()),
        path=url_for(".sign_in"),
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Strict",
    )


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(home_for(current_user.role))
    form = SignInForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        session = request_session()
        email = form.email.data or ""
        address = request.remote_addr or "unknown"
        known = accounts.find_by_email(session, email)
        device = throttle.known_device(
            current_app.config["SECRET_KEY"],
            request.cookies.get(throttle.DEVICE_COOKIE),
            known.id if known else None,
        )
        attempt = throttle.Attempt.of(email, address, device)
        detail: dict[str, Any] = {"address": address, "known_browser": device is not None}
        if known is None and "@" in email:
            detail["email"] = attempt.email
        wait = throttle.retry_after(session, attempt)
        if wait.total_seconds() > 0:
            # No password is checked while waiting, so guessing on gains nothing.
            audit.record(session, known.id if known else None, "sign_in_throttled", **detail)
            session.commit()
            form.form_errors.append(
                "Too many failed sign-ins from this network or this browser. "
                f"Try again in {_wait_text(wait.total_seconds())}."
            )
            answer = make_response(render_template("staff/sign_in.html", form=form), 429)
            answer.headers["Retry-After"] = str(math.ceil(wait.total_seconds()))
            return answer
        user, ok = accounts.authenticate(session, email, form.password.data or "")
        if ok and user is not None:
            begin_session(user)
            throttle.clear(session, attempt)
            audit.record(session, user.id, "sign_in", **detail)
            session.commit()
            landing = redirect(safe_next(form.next.data) or home_for(user.role))
            if device is None:
                _remember_browser(landing, user.id)
            return landing
        throttle.record_failure(session, attempt)
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
        # A session left open must not become a way to guess the password unthrottled.
        attempt = throttle.Attempt.of(current_user.email, request.remote_addr or "unknown")
        wait = throttle.retry_after(session, attempt)
        if wait.total_seconds() > 0:
            form.form_errors.append(
                f"Too many wrong passwords. Try again in {_wait_text(wait.total_seconds())}."
            )
            return render_template("staff/password.html", form=form), 429
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
            if field == "current":
                throttle.record_failure(session, attempt)
                session.commit()
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
