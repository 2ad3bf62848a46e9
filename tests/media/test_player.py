import wave
from pathlib import Path

import numpy as np
import pytest

from centralino.media.g711 import ALAW, ULAW, ulaw_decode
from centralino.media.player import Playback, Prompt, PromptCache, PromptError, read_wav, resample


def write_wav(path: Path, samples: np.ndarray, rate: int, width: int = 2, channels: int = 1) -> Path:
    scaled = np.repeat(samples[:, None], channels, axis=1).ravel()
    if width == 1:
        raw = (np.clip(scaled * 127, -128, 127) + 128).astype(np.uint8).tobytes()
    elif width == 2:
        raw = (scaled * 32000).astype("<i2").tobytes()
    else:
        ints = (scaled * 8_000_000).astype("<i4")
        raw = b"".join(int(v).to_bytes(3, "little", signed=True) for v in ints)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(raw)
    return path


def tone(freq: float, rate: int, seconds: float) -> np.ndarray:
    return 0.5 * np.sin(2 * np.pi * freq * np.arange(int(rate * seconds)) / rate)


def level(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))


def test_resampler_keeps_the_passband_and_removes_what_cannot_be_carried() -> None:
    keep = resample(tone(1000, 44100, 0.5), 44100)
    alias = resample(tone(6000, 44100, 0.5), 44100)  # above 4 kHz: would alias to 2 kHz if not filtered
    assert len(keep) == 4000
    assert 0.34 < level(keep[200:-200]) < 0.37  # 0.5/sqrt(2), within a few percent
    assert level(alias[200:-200]) < 0.005


@pytest.mark.parametrize(("rate", "width", "channels"), [(8000, 2, 1), (16000, 1, 1), (48000, 3, 2)])
def test_wav_of_any_rate_width_and_layout_loads_to_8khz(
    tmp_path: Path, rate: int, width: int, channels: int
) -> None:
    path = write_wav(tmp_path / "p.wav", tone(440, rate, 0.3), rate, width, channels)
    samples, got_rate = read_wav(path)
    assert got_rate == rate and len(samples) == int(rate * 0.3)
    cache = PromptCache()
    prompt = cache.load("hello", path)
    assert len(prompt.samples) == 2400 and len(prompt.ulaw) == len(prompt.alaw) == 2400
    decoded = ulaw_decode(prompt.ulaw) / 32768
    assert 0.3 < level(decoded[100:-100]) < 0.4
    assert cache.get("hello") is prompt and "hello" in cache


def test_unreadable_and_unknown_prompts_say_what_to_do(tmp_path: Path) -> None:
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not a wav")
    with pytest.raises(PromptError, match="sox"):
        read_wav(bad)
    with pytest.raises(PromptError, match="prompts build"):
        PromptCache().get("missing")


def make_prompt(name: str, frames: int, value: float) -> Prompt:
    return Prompt.from_samples(name, np.full(frames * 160, value), 8000)


def test_sequence_plays_whole_frames_in_order_then_finishes() -> None:
    a, b = make_prompt("a", 2, 0.25), make_prompt("b", 1, -0.25)
    play = Playback([a, b], ALAW, "p1")
    frames = [play.next_frame() for _ in range(4)]
    assert frames[:3] == [a.alaw[:160], a.alaw[160:], b.alaw] and frames[3] is None
    assert play.finished and not play.interrupted


def test_loop_and_barge_in() -> None:
    moh = make_prompt("moh", 2, 0.1)
    play = Playback([moh], ULAW, loop=True)
    assert [play.next_frame() for _ in range(5)] == [moh.ulaw[:160], moh.ulaw[160:]] * 2 + [moh.ulaw[:160]]
    assert not play.key("1")  # music on hold is not interrupted by keys
    menu = Playback([moh], ULAW, barge_in=True)
    assert menu.key("1") and menu.interrupted and menu.next_frame() is None
