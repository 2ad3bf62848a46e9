"""The media layer: RTP/RTCP, G.711, RFC 4733 DTMF, prompts, recording, mixing, and the engine.

Sans-I/O cores (``rtp``, ``rtcp``, ``g711``, ``dtmf``, ``stats``, ``jitter``,
``collector``, ``player``, ``mixer``, ``recorder``) under one asyncio shell
(``session`` and ``engine``). Callers use the ``MediaEngine`` protocol; see
docs/media.md.
"""

from centralino.media.engine import LocalMediaEngine, MediaAddress, MediaEngine
from centralino.media.g711 import ALAW, ULAW, Codec, codec_for, transcode
from centralino.media.mixer import MonitorMode
from centralino.media.player import Playback, Prompt, PromptCache, PromptError
from centralino.media.prompts import LANGUAGES, build_prompts, position_sentence, wait_sentence
from centralino.media.recorder import WavRecorder
from centralino.media.resolver import PromptResolver
from centralino.media.session import PortRange
from centralino.media.stats import LegStats

__all__ = [
    "ALAW", "LANGUAGES", "Codec", "LegStats", "LocalMediaEngine", "MediaAddress", "MediaEngine",
    "MonitorMode", "Playback", "PortRange", "Prompt", "PromptCache", "PromptError", "PromptResolver", "ULAW",
    "WavRecorder", "build_prompts", "codec_for", "position_sentence", "transcode", "wait_sentence",
]
