"""A contractor's consent record, downloaded for a carrier's review (admins only)."""

from __future__ import annotations

import re

from flask import Response, abort, current_app
from flask.typing import ResponseReturnValue
from flask_login import current_user

from core.db import request_session
from outreach import consent_export
from staff import audit
from staff import contractors as pages
from staff.auth import role_required
from staff.models import Role
from staff.views import bp

_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


@bp.get("/contractors/<int:contractor_id>/consent.<kind>")
@role_required(Role.ADMIN)
def consent_download(contractor_id: int, kind: str) -> ResponseReturnValue:
    if kind not in _TYPES:
        abort(404)
    session = request_session()
    contractor = pages.get_contractor(session, contractor_id)
    settings = current_app.config["SETTINGS"]
    addresses = [a for a in (contractor.phone, contractor.email) if a]
    data = consent_export.record(
        session,
        addresses,
        program=settings.program_name,
        limit=settings.contact_limit_per_30_days,
    )
    audit.record(session, current_user.id, "consent.export", "contractor", contractor.id, kind=kind)
    session.commit()
    body = consent_export.to_csv(data) if kind == "csv" else consent_export.to_json(data)
    filename = f"consent-{re.sub(r'[^A-Za-z0-9._-]', '_', contractor.external_id)}.{kind}"
    return Response(
        body,
        mimetype=_TYPES[kind],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
