"""``centralino serve`` as a real process: starts, answers, stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

START_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(url: str, process: subprocess.Popen[bytes]) -> httpx.Response:
    """Poll /healthz until it answers 200, the process dies, or the timeout passes."""
    deadline = time.monotonic() + START_TIMEOUT
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            assert process.poll() is None, "centralino serve exited before answering"
            try:
                response = client.get(url)
                if response.status_code == 200:
                    return response
            except httpx.TransportError:
                pass
            time.sleep(0.1)  # polling interval between connection attempts, not a wait for a state
    raise AssertionError(f"{url} did not answer 200 within {START_TIMEOUT} s")


def test_serve_answers_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "CENTRALINO_DATABASE_URL"}
    env["CENTRALINO_LOG_LEVEL"] = "info"
    command = [
        sys.executable,
        "-c",
        "from centralino.cli import app; app()",
        "serve",
        "--data-dir",
        str(tmp_path / "data"),
        "--bind",
        "127.0.0.1",
        "--http-port",
        str(port),
        "--sip-port",
        str(free_port()),
    ]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        health = wait_healthy(f"{base}/healthz", process)
        assert health.json()["demo"] is True
        metrics = httpx.get(f"{base}/metrics")
        assert metrics.status_code == 200
        assert 'centralino_http_requests_total{method="GET",route="/healthz",status="200"}' in metrics.text
        openapi = httpx.get(f"{base}/openapi.json").json()
        assert "/api/v1/customers" in openapi["paths"]
        login = httpx.post(f"{base}/api/v1/auth/login", json={"username": "admin", "password": "admin"})
        assert login.status_code == 200  # demo credentials exist in demo mode
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=STOP_TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr.decode()[-2000:]
    lines = [json.loads(line) for line in stderr.decode().splitlines() if line.startswith("{")]
    messages = [line["message"] for line in lines]
    assert any("DEMO MODE" in m for m in messages)
    assert "centralino stopped" in messages
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)


def test_log_lines_carry_the_bound_context() -> None:
    import io
    import logging

    from centralino import logs

    stream = io.StringIO()
    logs.configure("debug", stream=stream)
    try:
        with logs.log_context(tenant="acme", call_id="c-1"):
            logging.getLogger("centralino.test").info("offered %s", "q1", extra={"queue": "support"})
        logging.getLogger("centralino.test").debug("after")
    finally:
        logs.configure("warning")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert (first["message"], first["level"], first["logger"]) == ("offered q1", "info", "centralino.test")
    assert (first["tenant"], first["call_id"], first["queue"]) == ("acme", "c-1", "support")
    assert "tenant" not in second and second["level"] == "debug"
