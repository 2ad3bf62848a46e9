"""Prompt references: the strings the IVR puts in ``Play.prompts`` for the media layer.

The IVR never renders audio. Every prompt it asks for is fully resolved (language
included) so the media layer needs no flow or session to play it:

``file:<path>``
    a recorded prompt file, relative to the installation's sound directory.
``tts:<lang>:<text>``
    text to synthesize in the language (ISO 639-1), e.g. ``tts:pl:Witamy``.
``say:<lang>:<kind>:<value>[:<currency>]``
    a value spoken by the rules of the language: ``kind`` is ``number`` (``123.45``),
    ``digits`` (read one by one), ``currency`` (``say:it:currency:123.45:EUR`` ->
    "centoventitré euro e quarantacinque centesimi"), ``date`` (ISO ``2024-05-17``) or
    ``time`` (``14:30``).

Only the first ``:``-separated fields are structure; the text of ``tts:`` may contain
colons. ``PromptRef.parse`` reads a reference back (for the media layer and tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

__all__ = ["PromptRef", "file_ref", "moh_ref", "say_ref", "spoken_value", "tts_ref"]

SAY_KINDS = ("number", "digits", "currency", "date", "time")


def tts_ref(language: str, text: str) -> str:
    return f"tts:{language}:{text}"


def moh_ref(music_class: str) -> str:
    return f"moh:{music_class}"


def file_ref(path: str) -> str:
    return f"file:{path}"


def say_ref(language: str, kind: str, value: str, currency: str | None = None) -> str:
    ref = f"say:{language}:{kind}:{value}"
    return f"{ref}:{currency}" if kind == "currency" and currency else ref


def spoken_value(kind: str, value: object) -> str | None:
    """The canonical text of ``value`` for a ``say:`` reference, or None if it cannot be said."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    if kind in ("number", "currency"):
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None
        if not number.is_finite():
            return None
        return f"{number:.2f}" if kind == "currency" else format(number.normalize(), "f")
    if kind == "digits":
        return text if text.isdigit() else None
    return text


@dataclass(frozen=True, slots=True)
class PromptRef:
    """A parsed reference: ``scheme`` is file, tts or say."""

    scheme: str
    language: str | None = None
    text: str = ""  # file path, text to speak, or the value to say
    say: str | None = None  # kind, for say:
    currency: str | None = None

    @classmethod
    def parse(cls, ref: str) -> PromptRef:
        scheme, _, rest = ref.partition(":")
        if scheme in ("file", "moh") and rest:
            return cls(scheme, text=rest)
        if scheme == "tts":
            language, sep, text = rest.partition(":")
            if sep and language:
                return cls("tts", language, text)
        if scheme == "say":
            parts = rest.split(":")
            if len(parts) >= 3 and parts[1] in SAY_KINDS:
                language, kind = parts[0], parts[1]
                if kind == "time":
                    return cls("say", language, ":".join(parts[2:]), say=kind)
                currency = parts[3] if len(parts) > 3 else None
                return cls("say", language, parts[2], say=kind, currency=currency)
        raise ValueError(f"not a prompt reference: {ref!r} (expected file:, tts: or say:)")

    def __str__(self) -> str:
        if self.scheme in ("file", "moh"):
            return f"{self.scheme}:{self.text}"
        if self.scheme == "tts":
            return tts_ref(self.language or "", self.text)
        return say_ref(self.language or "", self.say or "", self.text, self.currency)
