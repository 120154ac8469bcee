"""Operations objects of the contributor's team ("own") and another team's ("foreign"), for the
permission registry's world (tests/core/test_permissions.py)."""

import tempfile
from pathlib import Path

from portolan.core.audit import ChangeContext
from portolan.engine import dora
from portolan.operations import services
from tests.operations.conftest import MAPPING, write_log


def operations_world(team, other_team) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="portolan-ops-world-"))
    log_csv = write_log(folder / "log.csv", cases=8)
    (folder / "deploys.csv").write_text(
        "id,at,failed\nd1,2024-03-01T10:00:00Z,0\nd2,2024-03-05T10:00:00Z,1\n"
    )
    mapping, _ = services.mapping_from(MAPPING)
    ctx = ChangeContext(user=None)
    logs, datasets = {}, {}
    for variant, owner in (("own", team), ("foreign", other_team)):
        logs[variant] = services.import_eventlog(
            ctx, log_csv, name=f"{variant} log", mapping=mapping, team=owner
        )
        datasets[variant] = services.import_delivery(
            ctx,
            folder / "deploys.csv",
            name=f"{variant} delivery",
            mapping=dora.DeliveryMapping(deployment_id="id", deployed_at="at", failed="failed"),
            team=owner,
        )
    return {
        "eventlog": logs,
        "finding": {v: log.findings.order_by("pk").first() for v, log in logs.items()},
        "deliverydataset": datasets,
    }


NEW_PAYLOAD = {"eventlog": {"name": "x"}, "finding": {"title": "x"}, "deliverydataset": {"name": "x"}}
CHANGE_PAYLOAD = {
    "eventlog": {"name": "Renamed"},
    "finding": {"status": "dismissed"},
    "deliverydataset": {"name": "Renamed"},
}
