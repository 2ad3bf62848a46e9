"""Generate Centralino's default sounds: music on hold and a beep, as 8 kHz 16-bit mono WAV.

Our own synthesis, so the project ships no third-party recordings: a slow
I-vi-IV-V progression in C major, a soft pentatonic melody over arpeggiated
chords, notes shaped by an attack/decay envelope with a touch of second
harmonic (a muted, music-box timbre that survives G.711). The piece is exactly
as long as its bars, so the looped player joins end to start without a click.
Deterministic: running it again writes the same bytes.

Spoken system prompts ("please hold", "goodbye", ...) are not made here: they ship as texts
(``centralino.media.sentences.SYSTEM_PROMPTS``) and ``centralino prompts build`` speaks them
into the data directory, because as WAVs in six languages they would weigh nine times the music
(docs/prompts.md).

Usage: python scripts/make_sounds.py [output folder]   (default: src/centralino/media/sounds)
"""

from __future__ import annotations

import sys
import wave
from pathlib import Path

import numpy as np

RATE = 8000
BEAT = 0.3125  # seconds: 96 beats a minute
NOTE = {"C3": 130.81, "F3": 174.61, "G3": 196.00, "A3": 220.00, "B3": 246.94, "C4": 261.63, "D4": 293.66,
        "E4": 329.63, "F4": 349.23, "G4": 392.00, "A4": 440.00, "C5": 523.25, "D5": 587.33, "E5": 659.25,
        "G5": 783.99}
CHORDS = [
    ("C3", "E4", "G4", "C5"), ("A3", "C4", "E4", "A4"), ("F3", "A3", "C4", "F4"), ("G3", "B3", "D4", "G4"),
]
MELODY = [  # (note or None for a rest, beats), four bars of 8 beats, one bar per chord
    ("E5", 2), ("G5", 1), ("E5", 1), ("D5", 2), ("C5", 2),
    ("C5", 2), ("E5", 1), ("D5", 1), ("C5", 3), (None, 1),
    ("A4", 2), ("C5", 1), ("D5", 1), ("E5", 2), ("C5", 2),
    ("D5", 2), ("G4", 1), ("A4", 1), ("D5", 3), (None, 1),
]


def tone(freq: float, seconds: float, level: float, decay: float) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    envelope = np.minimum(t / 0.015, 1.0) * np.exp(-t / decay)
    release = np.minimum((seconds - t) / 0.02, 1.0)
    wave_ = np.sin(2 * np.pi * freq * t) + 0.25 * np.sin(4 * np.pi * freq * t)
    return level * envelope * release * wave_


def music_on_hold(repeats: int = 1) -> np.ndarray:
    bar = 8 * BEAT
    total = np.zeros(int(round(len(CHORDS) * bar * RATE)))
    for i, chord in enumerate(CHORDS):  # arpeggio: chord tones in eighth notes
        for step in range(16):
            start = int(round((i * bar + step * BEAT / 2) * RATE))
            note = tone(NOTE[chord[step % 4]], BEAT, 0.09, 0.25)
            total[start : start + len(note)] += note[: len(total) - start]
    position = 0.0
    for name, beats in MELODY:
        if name is not None:
            note = tone(NOTE[name], beats * BEAT, 0.22, 0.6)
            start = int(round(position * RATE))
            total[start : start + len(note)] += note[: len(total) - start]
        position += beats * BEAT
    piece = np.tile(total, repeats)
    return piece / np.abs(piece).max() * 0.5


def beep() -> np.ndarray:
    return tone(1000, 0.25, 0.4, 10.0)


def write(path: Path, samples: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(np.round(samples * 32767).astype("<i2").tobytes())


def main(argv: list[str]) -> int:
    default = Path(__file__).resolve().parent.parent / "src/centralino/media/sounds"
    out = Path(argv[1]) if len(argv) > 1 else default
    write(out / "moh.wav", music_on_hold())
    write(out / "beep.wav", beep())
    for path in sorted(out.glob("*.wav")):
        print(f"{path.name}: {path.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
