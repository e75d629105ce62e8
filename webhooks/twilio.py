from flask import Blueprint

bp = Blueprint("twilio_webhooks", __name__, url_prefix="/webhooks/twilio")
