"""The staff web view: sign-in, roles, CSRF protection, and the pages Support and Care use."""

from __future__ import annotations

from flask import Flask, request
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()

# Blueprints whose name ends with this answer providers, not browsers: they authenticate each
# request by signature or URL secret, and a provider cannot send a CSRF token.
WEBHOOK_SUFFIX = "_webhooks"


def init_app(app: Flask) -> None:
    from outreach.tick import add_step
    from staff import assignment, notify, sla
    from staff.auth import login_manager
    from staff.cli import staff_cli
    from staff.views import bp

    # Hand out work first, so a clock that passes its due time escalates what is still nobody's.
    add_step("auto_assign", assignment.tick_step)
    add_step("sla", sla.tick_step)

    csrf.init_app(app)
    # CSRFProtect's own check only knows blueprints exempted by object, one by one, so a
    # webhook blueprint registered after this call would be checked. Switch that check off
    # and run the same check from a hook that decides by blueprint name when the request
    # comes, which covers webhook blueprints registered before and after staff alike.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    app.before_request(_protect_from_csrf)

    login_manager.init_app(app)
    app.register_blueprint(bp)
    app.cli.add_command(staff_cli)
    notify.init_app(app)


def _protect_from_csrf() -> None:
    from flask import current_app

    if not current_app.config["WTF_CSRF_ENABLED"]:
        return
    if any(name.endswith(WEBHOOK_SUFFIX) for name in request.blueprints):
        return
    # apply_exemptions keeps any view marked with @csrf.exempt exempt.
    csrf.protect(apply_exemptions=True)
