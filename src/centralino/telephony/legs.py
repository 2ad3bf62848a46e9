"""``SwitchLeg``: what the switch remembers about one party's connection, beyond its SIP dialog.

The SIP side (dialog, transactions) lives in the user agent's ``sip.ua.Leg``;
the media side (sockets, streams) in the media engine. This record ties the
two together under the leg id the engines use, and keeps what a call record
needs afterwards: direction, times, the bridge partner, and the media
statistics taken when the media leg is released.
"""

from __future__ import annotations

from dataclasses import dataclass

from centralino.media.engine import MediaAddress
from centralino.media.stats import LegStats
from centralino.sip import sdp

__all__ = ["RemoteMedia", "SwitchLeg", "remote_media"]


@dataclass(frozen=True, slots=True)
class RemoteMedia:
    """Where the peer wants RTP and in which payload types (from its SDP)."""

    host: str
    port: int
    payload_type: int
    dtmf_pt: int = 101


@dataclass
class SwitchLeg:
    id: str
    direction: str  # "inbound" or "outbound"
    state: str = "new"  # offered | calling | ringing | up | ended
    created_at: float = 0.0
    answered_at: float | None = None
    ended_at: float | None = None
    media: MediaAddress | None = None  # our RTP address for this leg (None: signalling only)
    remote: RemoteMedia | None = None
    bridged: str | None = None  # the leg whose audio this one hears
    held: bool = False
    session_id: int = 0
    session_version: int = 0
    stats: LegStats | None = None  # media statistics, filled when the leg ends


def remote_media(description: sdp.SessionDescription, answer: sdp.SessionDescription | None = None,
                 ) -> RemoteMedia | None:
    """The peer's audio address and codec: from its SDP, the codec chosen by ``answer`` if given.

    None when the peer holds (c=0.0.0.0, port 0) or has no audio: keep sending nowhere new.
    """
    audio = description.audio
    if audio is None:
        return None
    connection = description.connection_for(audio)
    if connection is None or connection.is_hold:
        return None
    chosen = answer.audio if answer is not None and answer.audio is not None else audio
    rtpmap = audio.rtpmap
    voice = [pt for pt in chosen.formats if pt in rtpmap and rtpmap[pt][0].upper() in ("PCMU", "PCMA")]
    if not voice:
        return None
    events = [pt for pt in audio.formats if pt in rtpmap and rtpmap[pt][0].lower() == "telephone-event"]
    return RemoteMedia(connection.address, audio.port, int(voice[0]), int(events[0]) if events else 101)
