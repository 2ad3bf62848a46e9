"""Prompts and playback: WAV files loaded once into 8 kHz G.711 frames, played 160 bytes a tick.

Loading reads any PCM WAV the stdlib ``wave`` module opens (8/16/24/32-bit,
any rate, mono or stereo), folds it to mono, resamples it to 8 kHz and encodes
it to both µ-law and A-law, once. Playing is then slicing bytes, which is what
lets one core feed a thousand music-on-hold callers.

The resampler is a windowed-sinc interpolator (Kaiser window, 16 zero
crossings, cut-off just below the lower Nyquist frequency), evaluated with
numpy in blocks. It is written here rather than taken from scipy because it is
the only signal-processing routine the project needs and happens once per
prompt at load time.
"""

from __future__ import annotations

import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from centralino.core.errors import CentralinoError
from centralino.media.g711 import Codec, alaw_encode, ulaw_encode

__all__ = ["Playback", "Prompt", "PromptCache", "PromptError", "read_wav", "resample"]

RATE = 8000
FRAME = 160  # samples (and G.711 bytes) in 20 ms


class PromptError(CentralinoError):
    """A prompt that cannot be loaded or is not known; the message names the file or prompt."""


def resample(samples: npt.NDArray[np.float64], source: int, target: int = RATE) -> npt.NDArray[np.float64]:
    """Band-limited resampling of a float signal from ``source`` Hz to ``target`` Hz."""
    if source == target or len(samples) == 0:
        return samples.astype(np.float64)
    ratio = target / source
    cutoff = min(1.0, ratio) * 0.94  # fraction of the input's Nyquist band kept
    zeros, beta = 16, 8.0
    half = int(np.ceil(zeros / cutoff))
    taps = np.arange(-half + 1, half + 1)
    n_out = int(len(samples) * ratio)
    out = np.empty(n_out)
    padded = np.concatenate([np.zeros(half), samples, np.zeros(half + 1)])
    norm = np.i0(beta)
    for start in range(0, n_out, 4096):
        t = np.arange(start, min(start + 4096, n_out)) / ratio
        base = np.floor(t).astype(np.int64)
        index = base[:, None] + taps[None, :]
        distance = t[:, None] - index
        window = np.i0(beta * np.sqrt(np.clip(1.0 - (distance / half) ** 2, 0.0, 1.0))) / norm
        kernel = cutoff * np.sinc(cutoff * distance) * window
        out[start : start + len(t)] = (padded[index + half] * kernel).sum(axis=1)
    return out


def read_wav(path: Path) -> tuple[npt.NDArray[np.float64], int]:
    """Mono float samples in [-1, 1) and the sample rate of a PCM WAV file."""
    try:
        with wave.open(str(path), "rb") as w:
            width, channels, rate = w.getsampwidth(), w.getnchannels(), w.getframerate()
            raw = w.readframes(w.getnframes())
    except (wave.Error, EOFError, OSError) as exc:
        raise PromptError(
            f"{path}: cannot read as a PCM WAV file ({exc}); convert it, e.g. `sox in.wav -b 16 out.wav`"
        ) from exc
    if width == 1:
        data = (np.frombuffer(raw, np.uint8).astype(np.float64) - 128) / 128
    elif width == 2:
        data = np.frombuffer(raw, "<i2") / 32768
    elif width == 3:
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        value = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        data = np.where(value & 0x800000, value - (1 << 24), value) / float(1 << 23)
    elif width == 4:
        data = np.frombuffer(raw, "<i4") / float(1 << 31)
    else:
        raise PromptError(f"{path}: {8 * width}-bit samples are not supported; use 16-bit PCM")
    data = data[: len(data) - len(data) % channels].reshape(-1, channels).mean(axis=1)
    return data, rate


def _to_int16(samples: npt.NDArray[np.float64]) -> npt.NDArray[np.int16]:
    return np.clip(np.round(samples * 32768), -32768, 32767).astype(np.int16)


@dataclass(frozen=True, slots=True)
class Prompt:
    """A prompt ready to play: 8 kHz samples and both G.711 encodings, padded to whole frames."""

    name: str
    samples: npt.NDArray[np.int16] = field(repr=False)
    ulaw: bytes = field(repr=False)
    alaw: bytes = field(repr=False)

    @classmethod
    def from_samples(cls, name: str, samples: npt.NDArray[np.float64], rate: int) -> Prompt:
        pcm = _to_int16(resample(samples, rate))
        pcm = np.concatenate([pcm, np.zeros(-len(pcm) % FRAME, np.int16)])
        pcm.flags.writeable = False
        return cls(name, pcm, ulaw_encode(pcm), alaw_encode(pcm))

    def encoded(self, codec: Codec) -> bytes:
        return self.ulaw if codec.payload_type == 0 else self.alaw

    @property
    def seconds(self) -> float:
        return len(self.samples) / RATE


class PromptCache:
    """Prompts by name, loaded once and shared by every playback."""

    def __init__(self) -> None:
        self._prompts: dict[str, Prompt] = {}

    def add(self, prompt: Prompt) -> Prompt:
        self._prompts[prompt.name] = prompt
        return prompt

    def load(self, name: str, path: Path) -> Prompt:
        samples, rate = read_wav(path)
        return self.add(Prompt.from_samples(name, samples, rate))

    def load_dir(self, directory: Path, prefix: str = "") -> list[str]:
        """Load every ``*.wav`` below ``directory`` as ``prefix`` + relative path without suffix."""
        names = []
        for path in sorted(directory.rglob("*.wav")):
            name = prefix + path.relative_to(directory).with_suffix("").as_posix()
            self.load(name, path)
            names.append(name)
        return names

    def get(self, name: str) -> Prompt:
        try:
            return self._prompts[name]
        except KeyError:
            known = ", ".join(sorted(self._prompts)[:10]) or "none"
            raise PromptError(
                f"prompt {name!r} is not loaded (known: {known}); "
                "check the name or run `centralino prompts build`"
            ) from None

    def __contains__(self, name: str) -> bool:
        return name in self._prompts

    def __len__(self) -> int:
        return len(self._prompts)


class Playback:
    """One playing of a prompt sequence on a leg; ``next_frame()`` once per 20 ms tick."""

    def __init__(
        self, prompts: list[Prompt], codec: Codec, playback_id: str = "", loop: bool = False,
        barge_in: bool = False,
    ) -> None:
        self.id = playback_id
        self._data = [p.encoded(codec) for p in prompts if p.samples.size]
        self.loop = loop and bool(self._data)
        self.barge_in = barge_in
        self._index = 0
        self._offset = 0
        self.finished = not self._data
        self.interrupted = False

    def next_frame(self) -> bytes | None:
        """The next 160 encoded bytes, or None when the sequence is over."""
        if self.finished:
            return None
        data = self._data[self._index]
        frame = data[self._offset : self._offset + FRAME]
        self._offset += FRAME
        if self._offset >= len(data):
            self._offset = 0
            self._index += 1
            if self._index == len(self._data):
                if self.loop:
                    self._index = 0
                else:
                    self.finished = True
        return frame

    def key(self, key: str) -> bool:
        """A key was pressed: stop if barge-in is on. True when the playback stopped because of it."""
        if self.barge_in and not self.finished:
            self.finished = True
            self.interrupted = True
            return True
        return False

    def stop(self) -> None:
        if not self.finished:
            self.finished = True
            self.interrupted = True
