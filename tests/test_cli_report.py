"""``centralino report``: a day's interval table from the stored records, and the PNG chart."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from centralino.cli import app
from centralino.records import facts as f
from centralino.records.stats import Outcome, QueuedContact
from centralino.store.call_record_store import CallRecordStore
from centralino.store.db import Database
from centralino.store.models import Queue, Tenant

DAY = 1_779_919_200.0  # 2026-05-28 00:00 in Warsaw


def test_report_prints_intervals_and_writes_a_chart(tmp_path: Path) -> None:
    db = Database.for_data_dir(tmp_path)
    db.upgrade()
    with db.session() as session:
        tenant = Tenant(name="demo", time_zone="Europe/Warsaw")
        session.add(tenant)
        session.flush()
        session.add(Queue(tenant_id=tenant.id, name="support", service_level_formula="abandons-counted"))
    t = DAY + 9 * 3600
    CallRecordStore(db).append(
        [
            f.CallArrived(
                at=t, call="c1", tenant="demo", caller="+48221110000", dialled="+48221234567", route="queue"
            ),
            f.QueueEntered(at=t, call="c1", tenant="demo", queue="support"),
            f.QueueLeft(
                at=t + 4,
                call="c1",
                tenant="demo",
                record=QueuedContact("c1", "support", t, t + 4, Outcome.abandoned),
            ),
            f.CallFinished(at=t + 4, call="c1", hung_up_by="caller"),
        ]
    )
    db.dispose()
    chart = tmp_path / "day.png"
    result = CliRunner().invoke(
        app,
        [
            "report",
            "--tenant",
            "demo",
            "--day",
            "2026-05-28",
            "--interval",
            "30",
            "--chart",
            str(chart),
            "--data-dir",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "abandons-counted" in result.output
    row = next(line for line in result.output.splitlines() if line.startswith("09:00"))
    assert row.split()[1:6] == ["1", "0", "1", "1", "0"]  # offered, answered, abandoned, short, callback
    assert chart.read_bytes().startswith(b"\x89PNG")
    bad = CliRunner().invoke(app, ["report", "--tenant", "nobody", "--data-dir", str(tmp_path)])
    assert bad.exit_code == 1 and "no tenant 'nobody'" in bad.output
