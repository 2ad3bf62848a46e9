"""``centralino serve`` as a real process answers SIP OPTIONS on ``--sip-port`` and stops on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import pytest
from e2e_peers import SCENARIOS, free_udp_port, sipp, until

pytestmark = pytest.mark.peer


def test_serve_answers_options_on_sip_port(tmp_path: Path) -> None:
    sip_port = free_udp_port()
    env = {k: v for k, v in os.environ.items() if k != "CENTRALINO_DATABASE_URL"}
    command = [sys.executable, "-c", "from centralino.cli import app; app()", "serve", "--data-dir",
               str(tmp_path / "data"), "--bind", "127.0.0.1", "--http-port", str(free_udp_port()),
               "--sip-port", str(sip_port), "--rtp-ports", "36100-36199"]
    log = tmp_path / "serve.log"

    async def run() -> int:
        with log.open("wb") as out:
            proc = await asyncio.create_subprocess_exec(*command, env=env, stdout=out, stderr=out)
        try:
            await until(lambda: "contact center listening" in log.read_text(), 30, "the node listening")
            result = await sipp(["-sf", str(SCENARIOS / "options.xml"), "-m", "1", "-p", str(free_udp_port()),
                                 f"127.0.0.1:{sip_port}"], tmp_path, "options", timeout=10)
            assert result.passed(1), result.output
            proc.send_signal(signal.SIGTERM)
            return await asyncio.wait_for(proc.wait(), 20)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()

    assert asyncio.run(run()) == 0, log.read_text()[-2000:]
    lines = [json.loads(x) for x in log.read_text().splitlines() if x.startswith("{")]
    listening = next(x for x in lines if x["message"] == "contact center listening")
    assert listening["sip"] == f"127.0.0.1:{sip_port}"
    assert listening["auto_login"] is True  # demo mode
    assert "contact center stopped" in [x["message"] for x in lines]
