"""Small synthetic logs and delivery records for the operations tests."""

import datetime as dt
from pathlib import Path

import pytest

from portolan.core.audit import ChangeContext
from portolan.core.models import AuditEntry
from portolan.operations import services
from tests.shared_data import SHARED_DATA

SERVICENOW_ZIP = SHARED_DATA / "itsm" / "servicenow-incidents" / "incident_event_log.zip"
GOVUK = SHARED_DATA / "delivery" / "govuk-frontend"


def write_log(path: Path, cases: int = 40, bad: int = 0) -> Path:
    """Incidents: Open -> Assigned -> (some bounce between groups, some rework) -> Resolved -> Closed."""
    start = dt.datetime(2024, 1, 1, 8, 0)
    lines = ["number,state,updated,assignee,team"]
    for i in range(cases):
        t = start + dt.timedelta(days=i)
        steps = [("Open", "desk"), ("Assigned", "network")]
        if i % 4 == 0:  # ping-pong and reassignment
            steps += [("Assigned", "security"), ("Assigned", "network"), ("Assigned", "security")]
        if i % 5 == 0:  # rework
            steps += [("Resolved", "network"), ("Assigned", "network")]
        steps += [("Resolved", "network"), ("Closed", "desk")]
        for k, (activity, group) in enumerate(steps):
            hours = 2 + (30 if (i % 4 == 0 and k > 1) else 0) + k
            t = t + dt.timedelta(hours=hours)
            lines.append(f"INC{i:04d},{activity},{t:%d/%m/%Y %H:%M},agent{i % 3},{group}")
    for j in range(bad):
        lines.append(f"INC9{j:03d},Open,not-a-date,agent0,desk")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


MAPPING = {
    "case": "number",
    "activity": "state",
    "timestamp": "updated",
    "resource": "assignee",
    "group": "team",
}


@pytest.fixture
def log_csv(tmp_path) -> Path:
    return write_log(tmp_path / "incidents.csv")


@pytest.fixture
def cli_context():
    return ChangeContext(user=None, source=AuditEntry.Source.CLI)


@pytest.fixture
def imported_log(db, log_csv, team, cli_context):
    mapping, _ = services.mapping_from(MAPPING)
    return services.import_eventlog(
        cli_context, log_csv, name="Synthetic incidents", mapping=mapping, team=team
    )
