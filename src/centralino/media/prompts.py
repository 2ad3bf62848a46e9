"""Prompt synthesis with espeak-ng, and the prompt cache ``centralino prompts build`` fills.

The cache is a folder (``<data dir>/prompts``) of 8 kHz 16-bit WAV files, one folder
per language:

- ``<lang>/position/<n>.wav`` and ``<lang>/wait/<minutes>.wav``: the queue announcements
  the dial plan plays as ``file:<lang>/position/<n>`` (sentences in ``sentences``);
- ``<lang>/system/<name>.wav``: the system prompts (``SYSTEM_PROMPTS``: please hold,
  goodbye, ...), built rather than shipped (see docs/prompts.md);
- ``<lang>/tts/<key>.wav``: any text spoken with ``tts:``/``say:``, named by a hash of
  (language, text, voice settings), so the resolver finds a flow's prompt built ahead of
  time, and a text synthesized once during a call is a file read the next time.

``manifest.json`` records the key each named file was built from, so a second build
skips what is up to date and rebuilds what a changed text or voice made stale.

espeak-ng writes 22,050 Hz audio; it is brought to 8 kHz here with a polyphase form of
the player's windowed-sinc resampler: the same Kaiser kernel, computed once for each of
the 160 phases of 22,050 → 8,000 instead of for every output sample, which makes it
about fifteen times faster and a full build of the announcements a matter of seconds.
Text reaches espeak-ng on stdin, so a text starting with ``-`` is spoken, never taken
for an option.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import tempfile
import time
import wave
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from centralino.media.player import PromptError, read_wav
from centralino.media.sentences import (
    LANGUAGES,
    SYSTEM_PROMPTS,
    position_sentence,
    say_sentence,
    wait_sentence,
)

__all__ = [
    "LANGUAGES", "BuildSummary", "FlowPrompts", "Runner", "Voice", "build_all", "build_prompts",
    "generated_text", "position_sentence", "render", "run_espeak", "say_sentence", "speech_key",
    "synthesize", "tts_relpath", "wait_sentence", "write_wav",
]

RATE = 8000
MANIFEST = "manifest.json"
POSITIONS = range(1, 21)
WAITS = range(0, 31)

Runner = Callable[[Sequence[str], str], subprocess.CompletedProcess[str]]
"""Runs espeak-ng: ``runner(argv, text_on_stdin)``; injectable so tests can count invocations."""


def run_espeak(argv: Sequence[str], text: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), input=text, capture_output=True, text=True, timeout=60, check=False)


@dataclass(frozen=True, slots=True)
class Voice:
    """espeak-ng settings; part of every cache key, so changing them rebuilds what they affect."""

    speed: int = 150  # words per minute
    pitch: int = 50  # 0-99
    amplitude: int = 100  # 0-200

    def args(self) -> list[str]:
        return ["-s", str(self.speed), "-p", str(self.pitch), "-a", str(self.amplitude)]


def speech_key(language: str, text: str, voice: Voice = Voice()) -> str:
    """The cache key of a spoken text: the same (language, text, voice) is synthesized once."""
    data = f"{language}\0{text}\0{voice.speed}\0{voice.pitch}\0{voice.amplitude}".encode()
    return hashlib.sha256(data).hexdigest()[:24]


def tts_relpath(language: str, text: str, voice: Voice = Voice()) -> str:
    return f"{language}/tts/{speech_key(language, text, voice)}.wav"


_GENERATED = re.compile(
    r"(?P<lang>[a-z]{2})/(?:(?P<kind>position|wait)/(?P<n>\d{1,3})|system/(?P<name>[a-z_]+))"
)


def generated_text(relpath: str) -> tuple[str, str] | None:
    """(language, text) of a file the build generates (``pl/position/3``, ``en/system/goodbye``) or None."""
    match = _GENERATED.fullmatch(relpath.removesuffix(".wav"))
    if match is None or match["lang"] not in LANGUAGES:
        return None
    language = match["lang"]
    if match["name"] is not None:
        texts = SYSTEM_PROMPTS.get(match["name"])
        return (language, texts[language]) if texts else None
    n = int(match["n"])
    sentence = position_sentence if match["kind"] == "position" else wait_sentence
    return language, sentence(n, language)


@functools.lru_cache(maxsize=4)
def _polyphase(source: int, target: int) -> tuple[int, int, int, npt.NDArray[np.float64]]:
    """The player's Kaiser-windowed sinc kernel as one matrix: ``up`` outputs from a window of input.

    Output ``j * up + r`` reads inputs from ``j * down`` on, always with the same weights
    for the same ``r``; so a block of ``up`` outputs is one matrix product with a sliding
    window of the input.
    """
    g = math.gcd(source, target)
    up, down = target // g, source // g
    cutoff = min(1.0, target / source) * 0.94
    zeros, beta = 16, 8.0
    half = int(np.ceil(zeros / cutoff))
    taps = np.arange(-half + 1, half + 1)
    r = np.arange(up)
    base, phase = np.divmod(r * down, up)
    distance = (phase / up)[:, None] - taps[None, :]
    window = np.i0(beta * np.sqrt(np.clip(1.0 - (distance / half) ** 2, 0.0, 1.0))) / np.i0(beta)
    kernels = cutoff * np.sinc(cutoff * distance) * window
    width = int(base[-1]) + 2 * half + 1
    matrix = np.zeros((up, width))
    for row in range(up):
        matrix[row, base[row] + 1 : base[row] + 1 + 2 * half] = kernels[row]
    return up, down, half, matrix


def to_8k(samples: npt.NDArray[np.float64], rate: int) -> npt.NDArray[np.float64]:
    """Resample to 8 kHz; equal (to rounding) to ``player.resample``, much faster for rational ratios."""
    if rate == RATE or len(samples) == 0:
        return samples.astype(np.float64)
    up, down, half, matrix = _polyphase(rate, RATE)
    n_out = len(samples) * up // down
    blocks = -(-n_out // up)
    width = matrix.shape[1]
    padded = np.zeros(max((blocks - 1) * down + width, len(samples) + half))
    padded[half : half + len(samples)] = samples
    windows = np.lib.stride_tricks.sliding_window_view(padded, width)[:: down][:blocks]
    # einsum rather than ``@``: a multi-threaded BLAS spinning beside espeak-ng and the build's own
    # threads made a build four times slower on two cores; einsum's own loop is single-threaded
    blocks_out: npt.NDArray[np.float64] = np.einsum("bw,rw->br", windows, matrix)
    return blocks_out.ravel()[:n_out]


def _espeak() -> str:
    found = shutil.which("espeak-ng")
    if found is None:
        raise PromptError("espeak-ng is not installed; install it (Debian: apt-get install espeak-ng)")
    return found


def synthesize(
    text: str, language: str, voice: Voice = Voice(), runner: Runner = run_espeak,
) -> npt.NDArray[np.int16]:
    """Speak ``text`` with the espeak-ng voice for ``language``: 16-bit samples at 8 kHz."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "speech.wav"
        result = runner([_espeak(), "-v", language, *voice.args(), "-w", str(raw), "--stdin"], text)
        if result.returncode != 0 or not raw.exists():
            raise PromptError(
                f"espeak-ng failed for language {language!r} on {text[:60]!r}: "
                f"{(result.stderr or '').strip() or result.returncode}; "
                "check that the voice is installed (`espeak-ng --voices`)"
            )
        samples, rate = read_wav(raw)
    return np.clip(np.round(to_8k(samples, rate) * 32768), -32768, 32767).astype(np.int16)


def write_wav(path: Path, samples: npt.NDArray[np.int16]) -> Path:
    """Write an 8 kHz mono WAV atomically: a reader (or a concurrent build) never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f, wave.open(f, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(RATE)
            w.writeframes(samples.astype("<i2").tobytes())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def render(
    text: str, language: str, path: Path, speed: int = 150, runner: Runner = run_espeak,
) -> Path:
    """Speak ``text`` with the espeak-ng voice for ``language`` into an 8 kHz 16-bit WAV at ``path``."""
    return write_wav(path, synthesize(text, language, Voice(speed=speed), runner))


def build_prompts(
    texts: Mapping[str, Mapping[str, str]], out_dir: Path, languages: Iterable[str] = LANGUAGES,
    positions: Iterable[int] = POSITIONS, waits: Iterable[int] = WAITS,
) -> list[Path]:
    """Render named texts and the announcements for each language; returns the files written.

    ``texts`` maps a prompt name to its text per language (``{"welcome": {"en": "Welcome", ...}}``);
    a prompt without a text for one of the languages is an error naming both, so a missing
    translation is found at build time rather than by a caller hearing silence.
    """
    langs = list(languages)
    for language in langs:
        position_sentence(1, language)  # raises for a language without sentences
    missing = [f"{name} ({lang})" for name, by_lang in texts.items() for lang in langs if lang not in by_lang]
    if missing:
        raise PromptError(f"prompt texts missing for: {', '.join(missing)}; add them to the configuration")
    written = []
    position_list, wait_list = list(positions), list(waits)
    for language in langs:
        folder = Path(out_dir) / language
        for name, by_lang in texts.items():
            written.append(render(by_lang[language], language, folder / f"{name}.wav"))
        for n in position_list:
            written.append(render(position_sentence(n, language), language, folder / "position" / f"{n}.wav"))
        for m in wait_list:
            written.append(render(wait_sentence(m, language), language, folder / "wait" / f"{m}.wav"))
    return written


class FlowPrompts(Protocol):
    """What the build needs of an IVR flow (``centralino.ivr.Flow`` has it): languages and references."""

    @property
    def languages(self) -> Sequence[str]: ...
    @property
    def prompts(self) -> Mapping[str, Mapping[str, str]]: ...


@dataclass
class BuildSummary:
    """What a build did, per language: files written and files already up to date."""

    written: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.written.values()) + sum(self.skipped.values())

    def lines(self) -> list[str]:
        langs = sorted(set(self.written) | set(self.skipped))
        rows = [f"{lang}: {self.written[lang]} written, {self.skipped[lang]} up to date" for lang in langs]
        return [*rows, f"{self.total} prompts in {self.seconds:.1f} s"]

    def __str__(self) -> str:
        return "; ".join(self.lines())


@dataclass(frozen=True, slots=True)
class _Job:
    relpath: str
    language: str
    text: str
    key: str


def _jobs(flows: Iterable[FlowPrompts], languages: Sequence[str], positions: Iterable[int],
          waits: Iterable[int], voice: Voice) -> list[_Job]:
    jobs: dict[str, _Job] = {}

    def add(relpath: str, language: str, text: str) -> None:
        jobs.setdefault(relpath, _Job(relpath, language, text, speech_key(language, text, voice)))

    for flow in flows:
        for by_language in flow.prompts.values():
            for language in flow.languages:
                ref = by_language.get(language, "")
                scheme, _, rest = ref.partition(":")
                lang, _, text = rest.partition(":")
                if scheme == "tts" and (lang in languages or lang not in LANGUAGES) and text.strip():
                    add(tts_relpath(lang, text, voice), lang, text)
    position_list, wait_list = list(positions), list(waits)
    for language in languages:
        for n in position_list:
            add(f"{language}/position/{n}.wav", language, position_sentence(n, language))
        for m in wait_list:
            add(f"{language}/wait/{m}.wav", language, wait_sentence(m, language))
        for name, texts in SYSTEM_PROMPTS.items():
            add(f"{language}/system/{name}.wav", language, texts[language])
    return list(jobs.values())


def _read_manifest(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # missing or damaged: everything is rebuilt once, which repairs it
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def build_all(
    flows: Iterable[FlowPrompts], data_dir: Path, languages: Iterable[str] = LANGUAGES, *,
    positions: Iterable[int] = POSITIONS, waits: Iterable[int] = WAITS, voice: Voice = Voice(),
    runner: Runner = run_espeak, workers: int | None = None, clock: Callable[[], float] = time.monotonic,
) -> BuildSummary:
    """Render the ``tts:`` prompts of ``flows``, announcements and system prompts into ``<data>/prompts``.

    Files whose manifest key matches are skipped, so running it at every start is cheap.
    espeak-ng runs in ``workers`` threads (default: one per CPU): it is a subprocess, so
    the threads really do run side by side.
    """
    started = clock()
    langs = list(dict.fromkeys(languages))
    for language in langs:
        position_sentence(1, language)  # raises naming a language without sentences
    root = Path(data_dir) / "prompts"
    manifest_path = root / MANIFEST
    manifest = _read_manifest(manifest_path)
    summary = BuildSummary()
    todo = []
    for job in _jobs(flows, langs, positions, waits, voice):
        named_by_key = job.key in job.relpath  # tts/<key>.wav, perhaps synthesized during a call
        if (named_by_key or manifest.get(job.relpath) == job.key) and (root / job.relpath).is_file():
            summary.skipped[job.language] += 1
        else:
            todo.append(job)

    def run(job: _Job) -> _Job:
        write_wav(root / job.relpath, synthesize(job.text, job.language, voice, runner))
        return job

    if todo:
        _espeak()  # one clear error instead of one per file
        with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 2) as pool:
            try:
                for job in pool.map(run, todo):
                    manifest[job.relpath] = job.key
                    summary.written[job.language] += 1
            finally:  # what was built stays built, even when one text failed
                root.mkdir(parents=True, exist_ok=True)
                tmp = manifest_path.with_suffix(".tmp")
                tmp.write_text(json.dumps(manifest, indent=0, sort_keys=True), encoding="utf-8")
                os.replace(tmp, manifest_path)
    summary.seconds = clock() - started
    return summary
