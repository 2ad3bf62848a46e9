"""SDP (RFC 4566) values and the RFC 3264 offer/answer the UA needs for G.711 + RFC 4733 events.

Lines the UA does not interpret (i=, u=, b=, k= ...) are kept in order, so an SDP
passes through parse/bytes unchanged in meaning.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from centralino.sip.errors import SipParseError

__all__ = [
    "STATIC_PAYLOADS",
    "Connection",
    "MediaDescription",
    "Origin",
    "SdpNegotiationError",
    "SessionDescription",
    "answer",
    "make_offer",
]

# RFC 3551 static payload types the UA can speak without an rtpmap line.
STATIC_PAYLOADS = {"0": ("PCMU", 8000), "8": ("PCMA", 8000)}
_DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")
_REVERSE = {"sendrecv": "sendrecv", "sendonly": "recvonly", "recvonly": "sendonly", "inactive": "inactive"}
_DYNAMIC = {"telephone-event": 101}


class SdpNegotiationError(SipParseError):
    """No acceptable media in an offer: the UA answers 488 Not Acceptable Here."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, 488)


@dataclass
class Origin:
    username: str = "-"
    session_id: int = 0
    session_version: int = 0
    address: str = "0.0.0.0"
    nettype: str = "IN"
    addrtype: str = "IP4"

    def __str__(self) -> str:
        ids = f"{self.session_id} {self.session_version}"
        return f"{self.username} {ids} {self.nettype} {self.addrtype} {self.address}"


@dataclass
class Connection:
    address: str
    nettype: str = "IN"
    addrtype: str = "IP4"

    @property
    def is_hold(self) -> bool:
        """The RFC 2543 way to put a call on hold (still sent by some phones)."""
        return self.address in ("0.0.0.0", "::")

    def __str__(self) -> str:
        return f"{self.nettype} {self.addrtype} {self.address}"


@dataclass
class MediaDescription:
    media: str
    port: int
    proto: str
    formats: list[str]
    connection: Connection | None = None
    attributes: list[tuple[str, str | None]] = field(default_factory=list)
    other: list[tuple[str, str]] = field(default_factory=list)

    def attribute(self, name: str) -> str | None:
        return next((v for n, v in self.attributes if n == name), None)

    @property
    def rtpmap(self) -> dict[str, tuple[str, int]]:
        """Payload type → (encoding name, clock rate), static types included."""
        out = {pt: STATIC_PAYLOADS[pt] for pt in self.formats if pt in STATIC_PAYLOADS}
        for name, value in self.attributes:
            if name == "rtpmap" and value:
                pt, _, rest = value.partition(" ")
                enc, _, rate = rest.partition("/")
                out[pt] = (enc, int(rate.split("/")[0]) if rate.split("/")[0].isdigit() else 8000)
        return out

    @property
    def fmtp(self) -> dict[str, str]:
        out = {}
        for name, value in self.attributes:
            if name == "fmtp" and value:
                pt, _, params = value.partition(" ")
                out[pt] = params
        return out

    @property
    def direction(self) -> str:
        return next((n for n, _ in self.attributes if n in _DIRECTIONS), "sendrecv")

    @property
    def ptime(self) -> int | None:
        value = self.attribute("ptime")
        return int(value) if value and value.isdigit() else None


@dataclass
class SessionDescription:
    origin: Origin = field(default_factory=Origin)
    session_name: str = "-"
    connection: Connection | None = None
    times: list[tuple[int, int]] = field(default_factory=lambda: [(0, 0)])
    attributes: list[tuple[str, str | None]] = field(default_factory=list)
    media: list[MediaDescription] = field(default_factory=list)
    other: list[tuple[str, str]] = field(default_factory=list)
    version: int = 0

    @classmethod
    def parse(cls, data: bytes) -> SessionDescription:
        try:
            return _parse(data.decode("utf-8"))
        except SipParseError:
            raise
        except (ValueError, IndexError, UnicodeError) as exc:
            raise SipParseError(f"bad SDP ({exc})", 488) from exc

    def __bytes__(self) -> bytes:
        lines = [f"v={self.version}", f"o={self.origin}", f"s={self.session_name}"]
        lines += [f"{k}={v}" for k, v in self.other]
        if self.connection:
            lines.append(f"c={self.connection}")
        lines += [f"t={a} {b}" for a, b in self.times]
        lines += [f"a={n}" if v is None else f"a={n}:{v}" for n, v in self.attributes]
        for m in self.media:
            lines.append(f"m={m.media} {m.port} {m.proto} {' '.join(m.formats)}")
            lines += [f"{k}={v}" for k, v in m.other]
            if m.connection:
                lines.append(f"c={m.connection}")
            lines += [f"a={n}" if v is None else f"a={n}:{v}" for n, v in m.attributes]
        return ("\r\n".join(lines) + "\r\n").encode("utf-8")

    def connection_for(self, media: MediaDescription) -> Connection | None:
        return media.connection or self.connection

    @property
    def audio(self) -> MediaDescription | None:
        return next((m for m in self.media if m.media == "audio" and m.port != 0), None)

    @property
    def on_hold(self) -> bool:
        """The peer holds the call: audio sendonly/inactive, or c=0.0.0.0 (RFC 3264 §8.4)."""
        audio = self.audio
        if audio is None:
            return False
        conn = self.connection_for(audio)
        return audio.direction in ("sendonly", "inactive") or (conn is not None and conn.is_hold)


def _parse(text: str) -> SessionDescription:
    sd = SessionDescription(times=[])
    current: MediaDescription | None = None
    seen_v = False
    for raw in text.replace("\r\n", "\n").split("\n"):
        if not raw:
            continue
        if len(raw) < 2 or raw[1] != "=":
            raise SipParseError(f"bad SDP line {raw[:40]!r}", 488)
        kind, value = raw[0], raw[2:]
        if kind == "v":
            sd.version, seen_v = int(value), True
        elif kind == "o":
            user, sid, sver, net, addrtype, addr = value.split()
            sd.origin = Origin(user, int(sid), int(sver), addr, net, addrtype)
        elif kind == "s":
            sd.session_name = value
        elif kind == "c":
            net, addrtype, addr = value.split()
            conn = Connection(addr.split("/")[0], net, addrtype)
            if current is None:
                sd.connection = conn
            else:
                current.connection = conn
        elif kind == "t":
            start, stop = value.split()
            sd.times.append((int(start), int(stop)))
        elif kind == "m":
            media, port, proto, *formats = value.split()
            current = MediaDescription(media, int(port.split("/")[0]), proto, formats)
            sd.media.append(current)
        elif kind == "a":
            name, colon, attr = value.partition(":")
            (current.attributes if current else sd.attributes).append((name, attr if colon else None))
        else:
            (current.other if current else sd.other).append((kind, value))
    if not seen_v:
        raise SipParseError("SDP without v= line", 488)
    return sd


def make_offer(
    local_ip: str,
    local_port: int,
    codecs: tuple[str, ...] = ("PCMU", "PCMA", "telephone-event"),
    *,
    session_id: int = 0,
    session_version: int = 0,
    direction: str = "sendrecv",
    ptime: int = 20,
) -> SessionDescription:
    """An audio offer in ``codecs`` order; telephone-event gets PT 101 with events 0-16."""
    formats: list[str] = []
    attrs: list[tuple[str, str | None]] = []
    for codec in codecs:
        static = next((pt for pt, (name, _) in STATIC_PAYLOADS.items() if name == codec), None)
        if static is not None:
            formats.append(static)
            attrs.append(("rtpmap", f"{static} {codec}/8000"))
        elif codec in _DYNAMIC:
            pt = str(_DYNAMIC[codec])
            formats.append(pt)
            attrs += [("rtpmap", f"{pt} {codec}/8000"), ("fmtp", f"{pt} 0-16")]
        else:
            raise ValueError(f"no payload type known for {codec}")
    attrs += [("ptime", str(ptime)), (direction, None)]
    addrtype = "IP6" if ":" in local_ip else "IP4"
    return SessionDescription(
        origin=Origin("centralino", session_id, session_version, local_ip, "IN", addrtype),
        connection=Connection(local_ip, "IN", addrtype),
        media=[MediaDescription("audio", local_port, "RTP/AVP", formats, attributes=attrs)],
    )


def answer(
    offer: SessionDescription,
    local_ip: str,
    local_port: int,
    supported: tuple[str, ...] = ("PCMU", "PCMA", "telephone-event"),
    *,
    session_id: int = 0,
    session_version: int = 0,
) -> SessionDescription:
    """RFC 3264 §6.1 answer: one m-line per offered one, in order; the first audio stream
    gets the first offered codec we support plus telephone-event, every other stream is
    refused with port 0. Raises ``SdpNegotiationError`` (488) when no audio is acceptable.
    """
    wanted = {s.lower() for s in supported}
    addrtype = "IP6" if ":" in local_ip else "IP4"
    out = SessionDescription(
        origin=Origin("centralino", session_id, session_version, local_ip, "IN", addrtype),
        connection=Connection(local_ip, "IN", addrtype),
    )
    accepted = False
    for m in offer.media:
        chosen: list[str] = []
        if not accepted and m.media == "audio" and m.port != 0 and m.proto.startswith("RTP/"):
            rtpmap = m.rtpmap
            voice = [
                pt
                for pt in m.formats
                if pt in rtpmap and rtpmap[pt][0].lower() in wanted - {"telephone-event"}
            ]
            events = [pt for pt in m.formats if pt in rtpmap and rtpmap[pt][0].lower() == "telephone-event"]
            if voice:
                chosen = voice[:1] + (events[:1] if "telephone-event" in wanted else [])
        if not chosen:
            out.media.append(MediaDescription(m.media, 0, m.proto, m.formats[:1] or ["0"]))
            continue
        accepted = True
        rtpmap, fmtp = m.rtpmap, m.fmtp
        attrs: list[tuple[str, str | None]] = []
        for pt in chosen:
            name, rate = rtpmap[pt]
            attrs.append(("rtpmap", f"{pt} {name}/{rate}"))
            if pt in fmtp:
                attrs.append(("fmtp", f"{pt} {fmtp[pt]}"))
        if m.ptime:
            attrs.append(("ptime", str(m.ptime)))
        conn = offer.connection_for(m)
        direction = "inactive" if conn is not None and conn.is_hold else _REVERSE[m.direction]
        attrs.append((direction, None))
        out.media.append(MediaDescription("audio", local_port, m.proto, chosen, attributes=attrs))
    if not accepted:
        raise SdpNegotiationError("no common audio codec in the offer")
    return out
