"""PromptResolver: every kind of reference, the caches in order, and what it refuses."""

import subprocess
import threading
import wave
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from centralino.ivr.prompts import file_ref, moh_ref, say_ref, tts_ref
from centralino.media.player import PromptCache, PromptError
from centralino.media.prompts import Voice, run_espeak, tts_relpath
from centralino.media.resolver import SOUNDS_DIR, PromptResolver
from centralino.media.sentences import say_sentence


class CountingRunner:
    """The real espeak-ng, counted."""

    def __init__(self) -> None:
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self, argv: Sequence[str], text: str) -> subprocess.CompletedProcess[str]:
        with self._lock:
            self.calls += 1
        return run_espeak(argv, text)


def tone_wav(path: Path, rate: int = 44100, seconds: float = 0.5) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(rate * seconds)) / rate
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.sin(2 * np.pi * 440 * t) * 8000).astype("<i2").tobytes())
    return path


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))


@pytest.fixture
def runner() -> CountingRunner:
    return CountingRunner()


@pytest.fixture
def resolver(tmp_path: Path, runner: CountingRunner) -> PromptResolver:
    return PromptResolver(tmp_path / "prompts", runner=runner)


def test_a_file_in_the_cache_is_loaded_once_resampled_to_8khz(resolver: PromptResolver) -> None:
    tone_wav(resolver.cache_dir / "en" / "hello.wav")
    prompt = resolver.resolve("file:en/hello")
    assert prompt.name == "file:en/hello"
    assert prompt.seconds == pytest.approx(0.5, abs=0.02)
    assert rms(prompt.samples) > 3000
    assert resolver.ready(["file:en/hello"]) and not resolver.ready(["file:en/other"])
    assert resolver.cached("file:en/hello") is prompt
    assert resolver.resolve("file:en/hello.wav").seconds == prompt.seconds


def test_the_cache_overrides_the_shipped_sounds(resolver: PromptResolver) -> None:
    shipped = resolver.resolve("file:beep")
    assert shipped.seconds == pytest.approx(0.26, abs=0.02)
    assert resolver.resolve("file:sounds/beep.wav").seconds == shipped.seconds
    tone_wav(resolver.cache_dir / "beep.wav", seconds=1.0)
    fresh = PromptResolver(resolver.cache_dir)
    assert fresh.resolve("file:beep").seconds == pytest.approx(1.0, abs=0.02)


def test_announcements_missing_from_the_cache_are_synthesized_once(
    resolver: PromptResolver, runner: CountingRunner,
) -> None:
    prompt = resolver.resolve("file:it/position/3")
    assert runner.calls == 1
    assert (resolver.cache_dir / "it" / "position" / "3.wav").is_file()
    assert rms(prompt.samples) > 300
    again = PromptResolver(resolver.cache_dir, runner=runner).resolve("file:it/position/3")
    assert runner.calls == 1  # read from the file this time
    assert np.array_equal(again.samples, prompt.samples)
    resolver.resolve("file:de/system/goodbye")
    assert runner.calls == 2


def test_a_missing_file_is_named_with_where_it_was_looked_for(resolver: PromptResolver) -> None:
    with pytest.raises(PromptError, match=r"'file:en/nothing' not found.*prompts build"):
        resolver.resolve("file:en/nothing")
    with pytest.raises(PromptError, match="not found"):
        resolver.resolve("file:en/position/x")


@pytest.mark.parametrize("ref", [
    "file:../secret", "file:/etc/passwd", "file:en/../../secret", "file:en/..", "file:en\\..\\..\\secret",
    "file:C:/secret", "file:~/secret", "file:en//x", "file:./secret", "file:en/\0x",
])
def test_paths_out_of_the_cache_are_refused(tmp_path: Path, resolver: PromptResolver, ref: str) -> None:
    tone_wav(tmp_path / "secret.wav")
    with pytest.raises(PromptError, match="refusing"):
        resolver.resolve(ref)


def test_a_symlink_out_of_the_cache_is_refused(tmp_path: Path, resolver: PromptResolver) -> None:
    outside = tone_wav(tmp_path / "elsewhere" / "secret.wav")
    (resolver.cache_dir / "en").mkdir(parents=True)
    (resolver.cache_dir / "en" / "link.wav").symlink_to(outside)
    with pytest.raises(PromptError, match="leads out of"):
        resolver.resolve("file:en/link")


def test_tts_is_synthesized_once_then_read_from_the_cache(
    resolver: PromptResolver, runner: CountingRunner,
) -> None:
    ref = "tts:en:Thank you for calling: one moment."
    prompt = resolver.resolve(ref)
    assert runner.calls == 1
    assert rms(prompt.samples) > 300 and prompt.seconds > 1.0
    assert resolver.resolve(ref) is prompt
    assert (resolver.cache_dir / tts_relpath("en", "Thank you for calling: one moment.")).is_file()
    other = PromptResolver(resolver.cache_dir, runner=runner)
    assert np.array_equal(other.resolve(ref).samples, prompt.samples)
    assert runner.calls == 1
    slower = PromptResolver(resolver.cache_dir, runner=runner, voice=Voice(speed=120))
    assert slower.resolve(ref).seconds > prompt.seconds
    assert runner.calls == 2


def test_concurrent_calls_synthesize_one_text_once(resolver: PromptResolver, runner: CountingRunner) -> None:
    barrier = threading.Barrier(4)
    results = []

    def ask() -> None:
        barrier.wait(timeout=10)
        results.append(resolver.resolve("tts:pl:Dzień dobry"))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(results) == 4 and runner.calls == 1


def test_say_speaks_the_sentence_of_its_language(resolver: PromptResolver, runner: CountingRunner) -> None:
    prompt = resolver.resolve("say:pl:currency:123.45:PLN")
    sentence = say_sentence("pl", "currency", "123.45", "PLN")
    assert sentence == "123 złote i 45 groszy"
    assert (resolver.cache_dir / tts_relpath("pl", sentence)).is_file()
    assert prompt.seconds > 1.0
    assert resolver.resolve("say:es:time:14:30").seconds > 0.5
    assert resolver.resolve("say:de:date:2024-05-17").seconds > 1.0
    assert runner.calls == 3
    with pytest.raises(PromptError, match=r"say:en:number:abc.*as a number"):
        resolver.resolve("say:en:number:abc")
    with pytest.raises(PromptError, match="'say:en:colour:red'"):
        resolver.resolve("say:en:colour:red")


def test_music_on_hold_classes(tmp_path: Path, runner: CountingRunner) -> None:
    jazz = tone_wav(tmp_path / "music" / "jazz.wav", rate=8000, seconds=2.0)
    resolver = PromptResolver(tmp_path / "prompts", music={"jazz": jazz}, runner=runner)
    assert resolver.resolve("moh:default").seconds == pytest.approx(10.0, abs=0.1)
    assert resolver.resolve("moh:jazz").seconds == pytest.approx(2.0, abs=0.02)
    tone_wav(resolver.cache_dir / "moh" / "lobby.wav", rate=8000, seconds=3.0)
    assert resolver.resolve("moh:lobby").seconds == pytest.approx(3.0, abs=0.02)
    with pytest.raises(PromptError, match="'moh:opera'.*class 'default'"):
        resolver.resolve("moh:opera")
    with pytest.raises(PromptError, match="music class"):
        resolver.resolve("moh:../x")
    assert runner.calls == 0


@pytest.mark.parametrize("ref", ["", "welcome", "http:x", "tts:en:", "tts:-v:x", "say:en", "moh:"])
def test_what_is_not_a_reference_is_named(resolver: PromptResolver, ref: str) -> None:
    with pytest.raises(PromptError, match=repr(ref).replace("\\", "\\\\")):
        resolver.resolve(ref)


def test_espeak_failure_and_disabled_synthesis_name_the_reference(tmp_path: Path) -> None:
    def failing(argv: Sequence[str], text: str) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(list(argv), 1, "", "voice not found")

    with pytest.raises(PromptError, match=r"cannot synthesize 'tts:en:Hi'.*voice not found"):
        PromptResolver(tmp_path, runner=failing).resolve("tts:en:Hi")
    with pytest.raises(PromptError, match=r"'tts:en:Hi' is not built"):
        PromptResolver(tmp_path, synthesis=False).resolve("tts:en:Hi")


def test_the_ivr_references_resolve_and_fill_the_engine_cache(tmp_path: Path) -> None:
    cache = PromptCache()
    resolver = PromptResolver(tmp_path, prompts=cache)
    refs = [tts_ref("sq", "Mirë se vini"), say_ref("it", "currency", "1.50", "EUR"),
            file_ref("en/position/3"), moh_ref("default"), file_ref("beep")]
    prompts = resolver.prepare(refs)
    assert [p.name for p in prompts] == refs
    assert all(cache.get(ref) is prompt for ref, prompt in zip(refs, prompts, strict=True))
    assert SOUNDS_DIR.joinpath("moh.wav").is_file()
