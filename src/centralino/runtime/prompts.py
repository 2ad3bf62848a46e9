"""Prompt references made playable before a ``Play`` reaches the media engine.

The engine plays only what is in the shared ``PromptCache``; the ``PromptResolver`` fills it from
the data directory, the shipped sounds or espeak-ng, which reads files and may take a second, so
it runs in a worker thread and never on the event loop. ``PromptGate.ready_play`` returns the
``Play`` to perform: unchanged when everything resolved, without the references that failed
(logged with the resolver's message, which says where it looked), or None when nothing is left
to play, in which case the caller reports ``PlaybackFinished`` itself so the IVR moves on
instead of waiting for audio that will never come.

``warm`` renders every prompt of the configured flows in the background at start, so the first
callers do not wait for speech synthesis.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping

from centralino.calls.commands import Play
from centralino.ivr.flow import Flow
from centralino.media.player import PromptError
from centralino.media.resolver import PromptResolver

__all__ = ["PromptGate", "flow_prompt_refs"]

log = logging.getLogger(__name__)


def flow_prompt_refs(flows: Mapping[str, Flow]) -> list[str]:
    """The ``tts:``/``file:`` references of every named prompt of these flows, in every language."""
    refs: list[str] = []
    for flow in flows.values():
        for by_language in flow.prompts.values():
            refs.extend(by_language.values())
    return list(dict.fromkeys(refs))


class PromptGate:
    def __init__(self, resolver: PromptResolver) -> None:
        self.resolver = resolver

    async def ready_play(self, play: Play) -> Play | None:
        refs = list(play.prompts)
        if self.resolver.ready(refs):
            return play
        kept = await asyncio.to_thread(self._resolve_each, refs)
        if not kept:
            return None
        return play if len(kept) == len(refs) else Play(
            leg=play.leg, prompts=tuple(kept), playback=play.playback, loop=play.loop, barge_in=play.barge_in)

    def _resolve_each(self, refs: list[str]) -> list[str]:
        kept = []
        for ref in refs:
            try:
                self.resolver.resolve(ref)
            except PromptError as exc:
                log.warning("prompt left out: %s", exc)
                continue
            kept.append(ref)
        return kept

    async def warm(self, refs: Iterable[str]) -> int:
        """Resolve ``refs`` one at a time in a thread (cancellable between two); returns how many play."""
        playable = 0
        for ref in refs:
            playable += len(await asyncio.to_thread(self._resolve_each, [ref]))
        return playable
