"""build_all: what it renders, the manifest that makes a second build fast, and the resampler."""

import json
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from centralino.media.player import PromptError, resample
from centralino.media.prompts import Voice, build_all, run_espeak, speech_key, to_8k, tts_relpath
from centralino.media.resolver import PromptResolver
from centralino.media.sentences import SYSTEM_PROMPTS


@dataclass
class FakeFlow:
    languages: Sequence[str]
    prompts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


class Counting:
    def __init__(self) -> None:
        self.texts: list[str] = []

    def __call__(self, argv: Sequence[str], text: str) -> subprocess.CompletedProcess[str]:
        self.texts.append(text)
        return run_espeak(argv, text)


FLOW = FakeFlow(("en", "pl"), {
    "welcome": {"en": "tts:en:Welcome.", "pl": "tts:pl:Witamy."},
    "beep": {"en": "file:beep", "pl": "file:beep"},
})


def test_build_renders_flow_texts_announcements_and_system_prompts(tmp_path: Path) -> None:
    runner = Counting()
    summary = build_all([FLOW, FLOW], tmp_path, ["en", "pl"], positions=[3], waits=[4], runner=runner)
    per_language = 1 + 1 + 1 + len(SYSTEM_PROMPTS)  # welcome, position 3, wait 4, system prompts
    assert dict(summary.written) == {"en": per_language, "pl": per_language}
    assert len(runner.texts) == 2 * per_language  # the flow given twice is built once
    root = tmp_path / "prompts"
    expected = ("en/position/3.wav", "pl/wait/4.wav", "pl/system/goodbye.wav", tts_relpath("en", "Welcome."))
    for relpath in expected:
        assert (root / relpath).is_file(), relpath
    manifest = json.loads((root / "manifest.json").read_text())
    assert manifest["en/position/3.wav"] == speech_key("en", "You are caller number 3.")
    assert summary.lines()[-1].startswith(f"{2 * per_language} prompts in ")

    # the flow's prompts are then file reads for the resolver
    resolver = PromptResolver(root, runner=runner)
    resolver.prepare(["tts:en:Welcome.", "file:pl/position/3", "file:en/system/leave_message"])
    assert len(runner.texts) == 2 * per_language
    # and what the resolver synthesized during a call is not built again
    resolver.resolve("tts:en:Good evening.")
    later = FakeFlow(("en",), {"evening": {"en": "tts:en:Good evening."}})
    summary = build_all([later], tmp_path, ["en"], positions=[3], waits=[4], runner=runner)
    assert len(runner.texts) == 2 * per_language + 1 and sum(summary.written.values()) == 0


def test_a_second_build_skips_what_is_up_to_date_and_rebuilds_what_changed(tmp_path: Path) -> None:
    build_all([FLOW], tmp_path, ["en"], positions=[3], waits=[4])
    runner = Counting()
    again = build_all([FLOW], tmp_path, ["en"], positions=[3], waits=[4], runner=runner)
    assert runner.texts == [] and sum(again.written.values()) == 0 and again.skipped["en"] > 0

    changed = FakeFlow(("en",), {"welcome": {"en": "tts:en:Welcome back."}})
    (tmp_path / "prompts" / "en" / "wait" / "4.wav").unlink()
    build_all([changed], tmp_path, ["en"], positions=[3], waits=[4], runner=runner)
    assert sorted(runner.texts) == ["The expected wait is about 4 minutes.", "Welcome back."]

    runner.texts.clear()
    build_all([changed], tmp_path, ["en"], positions=[3], waits=[], voice=Voice(speed=170), runner=runner)
    assert len(runner.texts) == 2 + len(SYSTEM_PROMPTS)  # another voice: everything again

    (tmp_path / "prompts" / "manifest.json").write_text("{not json")
    runner.texts.clear()
    build_all([], tmp_path, ["en"], positions=[3], waits=[], runner=runner)
    assert len(runner.texts) == 1 + len(SYSTEM_PROMPTS)  # a damaged manifest costs one rebuild


def test_a_language_without_sentences_is_refused_before_anything_runs(tmp_path: Path) -> None:
    runner = Counting()
    with pytest.raises(PromptError, match="'fr'.*use one of"):
        build_all([FLOW], tmp_path, ["en", "fr"], runner=runner)
    assert runner.texts == []


def test_a_failing_text_keeps_what_was_built(tmp_path: Path) -> None:
    def runner(argv: Sequence[str], text: str) -> subprocess.CompletedProcess[str]:
        if "Witamy" in text:
            return subprocess.CompletedProcess(list(argv), 1, "", "boom")
        return run_espeak(argv, text)

    with pytest.raises(PromptError, match="boom"):
        build_all([FLOW], tmp_path, ["en", "pl"], positions=[], waits=[], runner=runner, workers=1)
    manifest = json.loads((tmp_path / "prompts" / "manifest.json").read_text())
    assert tts_relpath("en", "Welcome.") in manifest


def test_polyphase_resampler_equals_the_players() -> None:
    rng = np.random.default_rng(7)
    for rate, n in ((22050, 22050), (16000, 1601), (44100, 99)):
        x = rng.standard_normal(n) * 0.2
        assert np.allclose(to_8k(x, rate), resample(x, rate), atol=1e-9)
    assert len(to_8k(np.zeros(0), 22050)) == 0
