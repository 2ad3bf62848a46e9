"""``centralino prompts build`` on the demo configuration, in-process with Typer's CliRunner."""

import wave
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from centralino import config
from centralino.cli import app
from centralino.media.prompts import tts_relpath

LANGUAGES = ("en", "pl", "it", "es", "de", "sq")
runner = CliRunner()


@pytest.fixture(autouse=True)
def _no_data_dir_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CENTRALINO_DATA_DIR", raising=False)


def audible_seconds(path: Path) -> tuple[float, float]:
    with wave.open(str(path), "rb") as w:
        assert (w.getframerate(), w.getsampwidth(), w.getnchannels()) == (8000, 2, 1)
        data = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float64)
    return len(data) / 8000, float(np.sqrt(np.mean(data**2)))


def test_build_on_the_demo_renders_every_language_and_a_rerun_skips_it_all(tmp_path: Path) -> None:
    args = ["prompts", "build", "--data-dir", str(tmp_path), "--positions", "3", "--waits", "4"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    root = tmp_path / "prompts"
    for language in LANGUAGES:
        assert f"{language}: " in result.output
        for name in ("position/3", "wait/4", "system/please_hold"):
            seconds, level = audible_seconds(root / language / f"{name}.wav")
            assert seconds > 0.5, f"{language}/{name} is too short"
            assert level > 300, f"{language}/{name} is silent"
    assert not (root / "en" / "position" / "4.wav").exists()

    # every text prompt of the demo's flows, in every language its flow offers
    center = config.load()
    for tenant in center.tenants:
        for flow in config.tenant_flows(center, tenant).values():
            for by_language in flow.prompts.values():
                for language in flow.languages:
                    scheme, _, rest = by_language[language].partition(":")
                    if scheme == "tts":
                        assert (root / tts_relpath(*rest.split(":", 1))).is_file()

    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.output
    assert all(f"{language}: 0 written" in again.output for language in LANGUAGES)


def test_options_are_checked(tmp_path: Path) -> None:
    result = runner.invoke(app, ["prompts", "build", "--data-dir", str(tmp_path), "--waits", "a-b"])
    assert result.exit_code == 1
    assert "--waits 'a-b'" in result.output
    result = runner.invoke(app, ["prompts", "build", "--data-dir", str(tmp_path), "--languages", "en,xx"])
    assert result.exit_code == 1
    assert "'xx'" in result.output
