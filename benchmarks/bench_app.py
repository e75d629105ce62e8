"""The app under benchmark: the real app plus a bare endpoint that does no work at all."""

from flask import Response

from core.app import create_app

app = create_app()
_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response />'


@app.post("/bare")
def bare() -> Response:
    return Response(_TWIML, mimetype="application/xml")


# A provider endpoint carries no CSRF token, exactly like the webhooks.
app.extensions["csrf"].exempt(bare)
