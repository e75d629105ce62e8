from staff.alerts import KIND_LABELS
from surveys.models import AlertKind


def test_alert_kind_labels_name_every_kind_triage_raises() -> None:
    assert set(KIND_LABELS) == set(AlertKind)
