import wave
from pathlib import Path

import numpy as np
import pytest

from centralino.media.player import PromptCache, PromptError
from centralino.media.prompts import LANGUAGES, build_prompts, position_sentence, wait_sentence


def test_sentences_per_language() -> None:
    assert position_sentence(3, "en") == "You are caller number 3."
    assert wait_sentence(4, "en") == "The expected wait is about 4 minutes."
    assert wait_sentence(1, "it") == "L'attesa prevista è di circa un minuto."
    assert wait_sentence(1, "de").endswith("etwa eine Minute.")
    assert wait_sentence(0, "sq") == "Koha e pritjes është më pak se një minutë."
    polish = [wait_sentence(n, "pl").split()[-1] for n in (1, 2, 4, 5, 12, 22, 25)]
    assert polish == ["minuta.", "minuty.", "minuty.", "minut.", "minut.", "minuty.", "minut."]
    with pytest.raises(PromptError, match="use one of"):
        wait_sentence(2, "xx")


def test_build_renders_every_language_to_non_silent_8khz_wav(tmp_path: Path) -> None:
    texts = {"welcome": {"en": "Welcome", "pl": "Witamy", "it": "Benvenuti", "es": "Bienvenidos",
                         "de": "Willkommen", "sq": "Mirë se vini"}}
    written = build_prompts(texts, tmp_path, LANGUAGES, positions=[3], waits=[4])
    assert len(written) == 3 * len(LANGUAGES)
    for language in LANGUAGES:
        for name in ("welcome", "position/3", "wait/4"):
            path = tmp_path / language / f"{name}.wav"
            with wave.open(str(path), "rb") as w:
                assert (w.getframerate(), w.getsampwidth(), w.getnchannels()) == (8000, 2, 1)
                data = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float64)
            assert len(data) > 4000, f"{path} is shorter than half a second"
            assert np.sqrt(np.mean(data**2)) > 300, f"{path} is silent"
    cache = PromptCache()
    assert "en/wait/4" in cache.load_dir(tmp_path)


def test_a_missing_translation_is_named(tmp_path: Path) -> None:
    with pytest.raises(PromptError, match=r"welcome \(sq\)"):
        build_prompts({"welcome": {"en": "Welcome"}}, tmp_path, ["en", "sq"])
