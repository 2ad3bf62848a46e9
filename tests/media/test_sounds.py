import subprocess
import sys
from pathlib import Path

import numpy as np

from centralino.media.player import PromptCache

ROOT = Path(__file__).resolve().parents[2]
SOUNDS = ROOT / "src" / "centralino" / "media" / "sounds"


def test_shipped_sounds_are_small_loadable_and_audible() -> None:
    files = sorted(SOUNDS.glob("*.wav"))
    assert [f.name for f in files] == ["beep.wav", "moh.wav"]
    assert sum(f.stat().st_size for f in files) < 200_000
    cache = PromptCache()
    cache.load_dir(SOUNDS)
    moh = cache.get("moh")
    assert moh.seconds >= 10.0
    assert np.sqrt(np.mean(moh.samples.astype(np.float64) ** 2)) > 1000


def test_the_script_regenerates_exactly_what_ships(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_sounds.py"), str(tmp_path)], check=True,
                   capture_output=True)
    for name in ("moh.wav", "beep.wav"):
        assert (tmp_path / name).read_bytes() == (SOUNDS / name).read_bytes()
