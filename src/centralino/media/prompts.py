"""Prompt synthesis with espeak-ng, and the sentences that carry numbers in each language.

``build_prompts`` renders configured text prompts, plus the queue announcements
("you are caller number three", "the wait is about four minutes") for a range
of numbers, into a cache of 8 kHz 16-bit WAV files, one folder per language:
``<out>/<lang>/<name>.wav``, with the announcements as ``position/<n>`` and
``wait/<minutes>``. The player loads that folder at start-up.

espeak-ng speaks digits itself in every language it has; what it cannot do is
grammar, so the sentence around the number is written per language here, in
forms where the spoken numeral stays in its plain (nominative) form: Polish
agrees the noun with the number (1 minuta, 2-4 minuty, 5+ minut) and avoids
"około", which would need the genitive; Romance languages and German use the
word for "one" where the numeral would be wrong ("un minuto", "eine Minute").
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import wave
from collections.abc import Iterable, Mapping
from pathlib import Path

from centralino.media.player import Prompt, PromptError, read_wav

__all__ = ["LANGUAGES", "build_prompts", "position_sentence", "render", "wait_sentence"]

LANGUAGES = ("en", "pl", "it", "es", "de", "sq")

_POSITION = {
    "en": "You are caller number {n}.",
    "pl": "Twoje miejsce w kolejce: {n}.",
    "it": "Lei è il chiamante numero {n}.",
    "es": "Su llamada ocupa el puesto {n} en la cola.",
    "de": "Sie sind Anrufer Nummer {n}.",
    "sq": "Ju jeni telefonuesi numër {n}.",
}

# (less than a minute, one minute, n minutes) per language; Polish has its own plural below
_WAIT = {
    "en": ("The expected wait is less than a minute.", "The expected wait is about one minute.",
           "The expected wait is about {n} minutes."),
    "it": ("L'attesa prevista è di meno di un minuto.", "L'attesa prevista è di circa un minuto.",
           "L'attesa prevista è di circa {n} minuti."),
    "es": ("La espera estimada es de menos de un minuto.",
           "La espera estimada es de un minuto aproximadamente.",
           "La espera estimada es de unos {n} minutos."),
    "de": ("Die voraussichtliche Wartezeit beträgt weniger als eine Minute.",
           "Die voraussichtliche Wartezeit beträgt etwa eine Minute.",
           "Die voraussichtliche Wartezeit beträgt etwa {n} Minuten."),
    "sq": ("Koha e pritjes është më pak se një minutë.", "Koha e pritjes është rreth një minutë.",
           "Koha e pritjes është rreth {n} minuta."),
}


def _polish_minutes(n: int) -> str:
    if n == 1:
        return "minuta"
    if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        return "minuty"
    return "minut"


def _check(language: str) -> None:
    if language not in _POSITION:
        choices = ", ".join(LANGUAGES)
        raise PromptError(f"no announcement sentences for language {language!r}; use one of {choices}")


def position_sentence(n: int, language: str) -> str:
    """The caller's place in the queue, as a sentence in ``language``."""
    _check(language)
    return _POSITION[language].format(n=n)


def wait_sentence(minutes: int, language: str) -> str:
    """An expected wait, rounded to whole minutes by the caller, as a sentence in ``language``."""
    _check(language)
    if language == "pl":
        if minutes < 1:
            return "Przewidywany czas oczekiwania: mniej niż minuta."
        return f"Przewidywany czas oczekiwania to mniej więcej {minutes} {_polish_minutes(minutes)}."
    less, one, many = _WAIT[language]
    if minutes < 1:
        return less
    return one if minutes == 1 else many.format(n=minutes)


def _espeak() -> str:
    found = shutil.which("espeak-ng")
    if found is None:
        raise PromptError("espeak-ng is not installed; install it (Debian: apt-get install espeak-ng)")
    return found


def render(text: str, language: str, path: Path, speed: int = 150) -> Path:
    """Speak ``text`` with the espeak-ng voice for ``language`` into an 8 kHz 16-bit WAV."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "speech.wav"
        result = subprocess.run(
            [_espeak(), "-v", language, "-s", str(speed), "-w", str(raw), text],
            capture_output=True, text=True, timeout=60, check=False,
        )
        if result.returncode != 0 or not raw.exists():
            raise PromptError(
                f"espeak-ng failed for language {language!r}: {result.stderr.strip() or result.returncode}; "
                "check that the voice is installed (`espeak-ng --voices`)"
            )
        samples, rate = read_wav(raw)
    prompt = Prompt.from_samples(path.stem, samples, rate)
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(prompt.samples.astype("<i2").tobytes())
    return path


def build_prompts(
    texts: Mapping[str, Mapping[str, str]], out_dir: Path, languages: Iterable[str] = LANGUAGES,
    positions: Iterable[int] = range(1, 21), waits: Iterable[int] = range(0, 31),
) -> list[Path]:
    """Render every text prompt and announcement for each language; returns the files written.

    ``texts`` maps a prompt name to its text per language (``{"welcome": {"en": "Welcome", ...}}``);
    a prompt without a text for one of the languages is an error naming both, so a missing
    translation is found at build time rather than by a caller hearing silence.
    """
    langs = list(languages)
    for language in langs:
        _check(language)
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
