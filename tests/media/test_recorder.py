import os
import signal
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np

from centralino.media.recorder import WavRecorder


def frame(value: int) -> np.ndarray:
    return np.full(160, value, dtype=np.int16)


def read(path: Path) -> tuple[int, np.ndarray]:
    with wave.open(str(path), "rb") as w:
        return w.getnchannels(), np.frombuffer(w.readframes(w.getnframes()), "<i2")


def test_stereo_keeps_parties_apart_and_pause_drops_audio(tmp_path: Path) -> None:
    rec = WavRecorder(tmp_path / "r.wav", now=0.0)
    for i in range(10):
        rec.write(frame(100), frame(-100), now=i * 0.02)
    rec.pause()
    rec.write(frame(5), frame(5), now=0.2)
    rec.resume()
    rec.write(frame(7), frame(-7), now=0.22)
    rec.close(now=0.24)
    channels, data = read(tmp_path / "r.wav")
    assert channels == 2 and len(data) == 2 * 160 * 11
    left, right = data[0::2], data[1::2]
    assert set(left[:1600]) == {100} and set(right[:1600]) == {-100}
    assert set(left[1600:]) == {7}


def test_mono_mixes_both_parties(tmp_path: Path) -> None:
    rec = WavRecorder(tmp_path / "m.wav", now=0.0, stereo=False)
    rec.write(frame(30000), frame(10000), now=0.0)
    rec.close(now=0.02)
    channels, data = read(tmp_path / "m.wav")
    assert channels == 1 and len(data) == 160 and data[0] == 32767


CHILD = """
import sys
from pathlib import Path
import numpy as np
from centralino.media.recorder import WavRecorder
rec = WavRecorder(Path(sys.argv[1]), now=0.0, flush_interval=1.0)
tick = 0
def step():
    global tick
    rec.write(np.full(160, tick % 1000, np.int16), np.zeros(160, np.int16), now=tick * 0.02)
    tick += 1
while tick * 0.02 < 3.0:
    step()
step()  # the 3-second flush has happened inside this write
print(rec.seconds, flush=True)
for _ in range(30):  # more audio that was never flushed when the process dies
    step()
print("ready", flush=True)
sys.stdin.read()
"""


def test_kill_9_leaves_a_playable_file_up_to_the_last_second(tmp_path: Path) -> None:
    path = tmp_path / "crash.wav"
    with subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as child:
        assert child.stdout is not None
        flushed_at = float(child.stdout.readline())
        assert child.stdout.readline().strip() == "ready"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL
    channels, data = read(path)
    seconds = len(data) / channels / 8000
    assert flushed_at >= 3.0 and seconds >= 3.0
    left = data[0::2]
    assert left[160 * 149] == 149  # the last frame before the flush is intact
