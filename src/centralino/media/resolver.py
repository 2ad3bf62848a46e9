"""Prompt references to playable audio: ``file:``, ``tts:``, ``say:`` and ``moh:``.

The IVR and the dial plan name what to play with references (``centralino.ivr.prompts``
defines them; the media layer may not import the IVR, so the few lines that split a
reference are repeated here and a test checks both agree). ``PromptResolver.resolve``
turns one into a ``Prompt`` and keeps it in the shared ``PromptCache`` under the
reference itself, so the media engine plays ``engine.play(leg, refs)`` unchanged.

Where audio comes from, in order:

1. memory (the ``PromptCache``): every reference is loaded once per process;
2. the prompt cache in the data directory (``<data>/prompts``, filled by
   ``centralino prompts build``): ``file:pl/position/3`` is ``<cache>/pl/position/3.wav``,
   ``tts:``/``say:`` are ``<cache>/<lang>/tts/<hash of language, text, voice>.wav``;
3. the sounds shipped in the package (``moh``, ``beep``);
4. synthesis with espeak-ng for ``tts:``, ``say:`` and the files the build generates
   (announcements, system prompts), written to the cache so the next call reads a file.

Resolving may read files and run espeak-ng, so it is synchronous and meant to run off the
event loop (``await asyncio.to_thread(resolver.prepare, refs)``); ``ready(refs)`` tells the
loop when everything is in memory already and the thread hop can be skipped. It is safe
to call from several threads: one synthesis per text, however many calls ask at once.

``file:`` paths are relative to the cache: absolute paths, ``..``, backslashes and symlinks
leading out of the cache or the sounds are refused, because a reference may come from a
configuration file an operator of one tenant wrote.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path, PurePosixPath

from centralino.media.player import Prompt, PromptCache, PromptError
from centralino.media.prompts import (
    Runner,
    Voice,
    generated_text,
    run_espeak,
    say_sentence,
    synthesize,
    tts_relpath,
    write_wav,
)
from centralino.media.sentences import SAY_KINDS

__all__ = ["SOUNDS_DIR", "PromptResolver"]

SOUNDS_DIR = Path(__file__).resolve().parent / "sounds"
_LANGUAGE = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{1,8})*")
_MUSIC_CLASS = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")


class PromptResolver:
    """Resolves prompt references to ``Prompt``s, from memory, the cache, the shipped sounds or espeak-ng."""

    def __init__(
        self, cache_dir: Path, *, sounds_dir: Path = SOUNDS_DIR, music: Mapping[str, Path] | None = None,
        prompts: PromptCache | None = None, voice: Voice = Voice(), runner: Runner = run_espeak,
        synthesis: bool = True,
    ) -> None:
        self.cache_dir = Path(cache_dir)
        self.sounds_dir = Path(sounds_dir)
        self.music = dict(music or {})  # music-on-hold class -> file (from the operator, not a reference)
        self.prompts = prompts if prompts is not None else PromptCache()
        self.voice = voice
        self.runner = runner
        self.synthesis = synthesis
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    # the shell's side

    def cached(self, ref: str) -> Prompt | None:
        """The prompt if it is in memory; never touches the disk (safe on the event loop)."""
        return self.prompts.get(ref) if ref in self.prompts else None

    def ready(self, refs: Iterable[str]) -> bool:
        return all(ref in self.prompts for ref in refs)

    def prepare(self, refs: Sequence[str]) -> list[Prompt]:
        """Resolve every reference of a ``Play`` (call in a thread); the engine can then play them."""
        return [self.resolve(ref) for ref in refs]

    def resolve(self, ref: str) -> Prompt:
        """The prompt for ``ref``, loaded or synthesized once; a ``PromptError`` names the reference."""
        if ref in self.prompts:
            return self.prompts.get(ref)
        scheme, _, rest = ref.partition(":")
        if scheme == "file" and rest:
            return self._file(ref, rest)
        if scheme == "moh" and rest:
            return self._music(ref, rest)
        if scheme == "tts":
            language, sep, text = rest.partition(":")
            if sep and text.strip():
                return self._speech(ref, self._language(ref, language), text)
        if scheme == "say":
            language, kind, value, currency = self._say_parts(ref, rest)
            try:
                sentence = say_sentence(language, kind, value, currency)
            except PromptError as exc:
                raise PromptError(f"cannot play {ref!r}: {exc}") from exc
            return self._speech(ref, language, sentence)
        raise PromptError(
            f"cannot play {ref!r}: not a prompt reference; "
            "use file:<path>, tts:<lang>:<text>, say:<lang>:<kind>:<value> or moh:<class>"
        )

    # the kinds of reference

    def _file(self, ref: str, path: str) -> Prompt:
        relative = self._relative(ref, path)
        wav = relative if relative.suffix == ".wav" else relative.with_name(relative.name + ".wav")
        places = [(self.cache_dir, wav), (self.sounds_dir, wav)]
        if wav.parts[0] == "sounds" and len(wav.parts) > 1:  # file:sounds/beep.wav, as docs/ivr.md writes it
            places.append((self.sounds_dir, PurePosixPath(*wav.parts[1:])))
        for base, relative_wav in places:
            found = self._inside(ref, base, relative_wav)
            if found is not None and found.is_file():
                return self.prompts.load(ref, found)
        generated = generated_text(wav.as_posix())
        if generated is not None and self.synthesis:
            language, text = generated
            return self._synthesized(ref, language, text, self.cache_dir / wav)
        looked = " and ".join(str(base / path) for base, path in places)
        raise PromptError(
            f"prompt {ref!r} not found (looked for {looked}); "
            "put the recording there or run `centralino prompts build`"
        )

    def _music(self, ref: str, music_class: str) -> Prompt:
        if not _MUSIC_CLASS.fullmatch(music_class):
            raise PromptError(f"cannot play {ref!r}: a music class is a name like 'default' or 'jazz'")
        candidates = []
        if music_class in self.music:
            candidates.append(Path(self.music[music_class]))
        candidates.append(self.cache_dir / "moh" / f"{music_class}.wav")
        if music_class == "default":
            candidates.append(self.sounds_dir / "moh.wav")
        for path in candidates:
            if path.is_file():
                return self.prompts.load(ref, path)
        looked = ", ".join(str(p) for p in candidates)
        raise PromptError(
            f"no music on hold for {ref!r} (looked for {looked}); "
            f"put a WAV at {self.cache_dir / 'moh' / f'{music_class}.wav'} or use the class 'default'"
        )

    def _speech(self, ref: str, language: str, text: str) -> Prompt:
        path = self.cache_dir / tts_relpath(language, text, self.voice)
        return self._synthesized(ref, language, text, path)

    def _synthesized(self, ref: str, language: str, text: str, path: Path) -> Prompt:
        with self._lock_for(str(path)):
            if ref in self.prompts:  # another thread did it while this one waited
                return self.prompts.get(ref)
            if path.is_file():
                return self.prompts.load(ref, path)
            if not self.synthesis:
                raise PromptError(
                    f"prompt {ref!r} is not built ({path} is missing); run `centralino prompts build`"
                )
            try:
                samples = synthesize(text, language, self.voice, self.runner)
            except PromptError as exc:
                raise PromptError(f"cannot synthesize {ref!r}: {exc}") from exc
            write_wav(path, samples)
            return self.prompts.add(Prompt.from_samples(ref, samples.astype(float) / 32768, 8000))

    # parsing and checking

    def _lock_for(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    @staticmethod
    def _language(ref: str, language: str) -> str:
        if not _LANGUAGE.fullmatch(language):
            raise PromptError(f"cannot play {ref!r}: {language!r} is not a language code (en, pl, it ...)")
        return language

    def _say_parts(self, ref: str, rest: str) -> tuple[str, str, str, str | None]:
        parts = rest.split(":")
        if len(parts) < 3 or parts[1] not in SAY_KINDS:
            raise PromptError(
                f"cannot play {ref!r}: expected say:<lang>:<kind>:<value>[:<currency>] "
                f"with kind one of {', '.join(SAY_KINDS)}"
            )
        language, kind = self._language(ref, parts[0]), parts[1]
        if kind == "time":
            return language, kind, ":".join(parts[2:]), None
        return language, kind, parts[2], parts[3] if len(parts) > 3 else None

    @staticmethod
    def _relative(ref: str, path: str) -> PurePosixPath:
        refused = (
            path.startswith(("/", "~")) or "\\" in path or "\0" in path or ":" in path
            or any(part in ("", ".", "..") for part in path.split("/"))
        )
        if refused:
            raise PromptError(
                f"refusing to play {ref!r}: a file: prompt is a path relative to the prompt cache, "
                "without '..', e.g. file:en/system/goodbye"
            )
        return PurePosixPath(path)

    @staticmethod
    def _inside(ref: str, base: Path, relative: PurePosixPath) -> Path | None:
        """``base/relative`` if it exists and stays inside ``base`` after symlinks; None if missing."""
        candidate = base / relative
        if not candidate.exists():
            return None
        if not candidate.resolve().is_relative_to(base.resolve()):
            raise PromptError(f"refusing to play {ref!r}: {candidate} leads out of {base} (a symlink)")
        return candidate
