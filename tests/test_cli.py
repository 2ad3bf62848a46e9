"""The ``centralino`` command, run in-process with Typer's CliRunner."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from centralino.api import ApiSettings, create_app
from centralino.cli import app
from centralino.store.db import Database

runner = CliRunner()

BROKEN = """\
version: 1
tenants:
  - name: Bad Name
    queues:
      - {name: support, strategy: fastest}
"""


@pytest.fixture(autouse=True)
def _sqlite_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CENTRALINO_DATABASE_URL", raising=False)
    monkeypatch.delenv("CENTRALINO_DATA_DIR", raising=False)


def test_config_check_prints_every_problem_with_its_position(tmp_path: Path) -> None:
    file = tmp_path / "center.yaml"
    file.write_text(BROKEN)
    result = runner.invoke(app, ["config", "check", str(file)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith(str(file) + ":")]
    assert any(line.startswith(f"{file}:3:") and "Bad Name" in line for line in lines), result.output
    assert any(line.startswith(f"{file}:5:") and "fastest" in line for line in lines), result.output


def test_config_check_accepts_the_demo(tmp_path: Path) -> None:
    from centralino.config import DEMO_CONFIG

    result = runner.invoke(app, ["config", "check", str(DEMO_CONFIG)])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output


def test_user_add_then_login_works(tmp_path: Path) -> None:
    data = tmp_path / "data"
    added = runner.invoke(
        app,
        ["user", "add", "boss", "--role", "admin", "--password", "boss-password", "--data-dir", str(data)],
    )
    assert added.exit_code == 0, added.output
    again = runner.invoke(
        app, ["user", "add", "boss", "--role", "admin", "--password", "x" * 9, "--data-dir", str(data)]
    )
    assert again.exit_code == 1 and "exists" in again.output
    short = runner.invoke(app, ["user", "passwd", "boss", "--password", "short", "--data-dir", str(data)])
    assert short.exit_code == 1
    token = runner.invoke(app, ["token", "create", "boss", "--name", "ci", "--data-dir", str(data)])
    assert token.exit_code == 0, token.output
    bearer = next(line for line in token.output.splitlines() if line.startswith("cnt_"))

    db = Database.for_data_dir(data)
    try:
        with TestClient(create_app(db, ApiSettings(secret_key="k"))) as client:
            login = client.post("/api/v1/auth/login", json={"username": "boss", "password": "boss-password"})
            assert login.status_code == 200, login.text
            assert login.json()["user"]["tenant"] is None
            client.cookies.clear()
            me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {bearer}"})
            assert me.json()["username"] == "boss"
    finally:
        db.dispose()


def test_apply_export_and_version(tmp_path: Path) -> None:
    file = tmp_path / "center.yaml"
    file.write_text("version: 1\ntenants:\n  - name: shop\n    skills: [{name: returns}]\n")
    data = str(tmp_path / "data")
    first = runner.invoke(app, ["config", "apply", str(file), "--data-dir", data])
    assert first.exit_code == 0, first.output
    assert "created tenant shop" in first.output
    second = runner.invoke(app, ["config", "apply", str(file), "--data-dir", data])
    assert second.exit_code == 0 and "no changes" in second.output
    exported = runner.invoke(app, ["config", "export", "--data-dir", data])
    assert exported.exit_code == 0 and "name: returns" in exported.output
    assert runner.invoke(app, ["db", "upgrade", "--data-dir", data]).exit_code == 0
    assert runner.invoke(app, ["version"]).output.startswith("centralino ")
    broken = tmp_path / "broken.yaml"
    broken.write_text(BROKEN)
    refused = runner.invoke(app, ["config", "apply", str(broken), "--data-dir", data])
    assert refused.exit_code == 1 and "not applied" in refused.output


@pytest.mark.usefixtures("cheap_argon2")
def test_the_demo_export_passes_config_check_and_applies_as_a_no_op(tmp_path: Path) -> None:
    from centralino.config import DEMO_CONFIG

    data = str(tmp_path / "data")
    assert runner.invoke(app, ["config", "apply", str(DEMO_CONFIG), "--data-dir", data]).exit_code == 0
    exported = tmp_path / "export.yaml"
    written = runner.invoke(app, ["config", "export", "--data-dir", data, "--output", str(exported)])
    assert written.exit_code == 0, written.output
    text = exported.read_text()
    assert "sip_ha1:" in text and "flows:" in text and "sip_password" not in text
    checked = runner.invoke(app, ["config", "check", str(exported)])
    assert checked.exit_code == 0, checked.output
    assert checked.output.strip() == f"{exported}: OK"
    again = runner.invoke(app, ["config", "apply", str(exported), "--data-dir", data])
    assert again.exit_code == 0 and "no changes" in again.output, again.output
