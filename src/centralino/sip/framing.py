"""Cutting streams into messages and bodies into parts: the byte-level framing of SIP.

``StreamFramer`` finds message boundaries on TCP/TLS by Content-Length (RFC 3261
§18.3) and recognises RFC 5626 keep-alives; ``split_multipart`` cuts a
``multipart/*`` body (RFC 2046 §5.1) without touching binary parts. Both work on
bytes only, so they sit below the message parser.
"""

from __future__ import annotations

import re

from centralino.sip.errors import SipParseError
from centralino.sip.headers import Headers

__all__ = ["StreamFramer", "split_multipart"]

_STREAM_LENGTH = re.compile(
    rb"(?:^|\r\n)(?:content-length|l)[ \t]*:[ \t]*([0-9]{1,10})[ \t]*(?=\r\n|$)", re.I
)


class StreamFramer:
    """Cuts a TCP/TLS byte stream into messages by Content-Length (RFC 3261 §18.3).

    ``feed`` returns complete messages in order; RFC 5626 keep-alives come out as
    ``PING`` (CRLFCRLF, answer with ``PONG``) and ``PONG`` (a lone CRLF). A framing
    error raises ``SipParseError``: the stream is unrecoverable, close it.
    """

    PING = b"\r\n\r\n"
    PONG = b"\r\n"

    def __init__(self, max_message: int = 256 * 1024) -> None:
        self._buf = bytearray()
        self._max = max_message

    def feed(self, data: bytes) -> list[bytes]:
        buf = self._buf
        buf += data
        out: list[bytes] = []
        while buf:
            if buf[0] == 0x0D:
                if buf.startswith(b"\r\n\r\n"):
                    out.append(self.PING)
                    del buf[:4]
                    continue
                if buf.startswith(b"\r\n") and (len(buf) == 2 or buf[2] != 0x0D):
                    out.append(self.PONG)
                    del buf[:2]
                    continue
                if len(buf) < 4 and b"\r\n\r\n".startswith(bytes(buf)):
                    break  # the rest of a keep-alive is on its way
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) > self._max:
                    raise SipParseError("headers larger than the stream limit", 413)
                break
            match = _STREAM_LENGTH.search(bytes(buf[:end]))
            if match is None:
                raise SipParseError("Content-Length is required on stream transports")
            total = end + 4 + int(match.group(1))
            if total > self._max:
                raise SipParseError("message larger than the stream limit", 413)
            if len(buf) < total:
                break
            out.append(bytes(buf[:total]))
            del buf[:total]
        return out

    @property
    def buffered(self) -> int:
        return len(self._buf)


def split_multipart(body: bytes, content_type: str) -> list[tuple[Headers, bytes]]:
    """The parts of a ``multipart/*`` body (RFC 2046 §5.1), each as (headers, bytes).

    Binary parts are returned untouched; only the delimiters are interpreted.
    """
    boundary = None
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip(" \t").lower() == "boundary":
            boundary = value.strip(" \t").strip('"')
    if not boundary:
        raise SipParseError("multipart Content-Type without a boundary")
    delimiter = b"--" + boundary.encode("utf-8", "surrogateescape")
    pieces = (b"\r\n" + body).split(b"\r\n" + delimiter)
    parts: list[tuple[Headers, bytes]] = []
    for piece in pieces[1:]:
        if piece.startswith(b"--"):
            break
        _, _, piece = piece.partition(b"\r\n")
        head, sep, content = piece.partition(b"\r\n\r\n")
        if not sep:
            head, content = (b"", piece[2:]) if piece.startswith(b"\r\n") else (piece, b"")
        items = []
        for line in head.decode("utf-8", "surrogateescape").split("\r\n"):
            name, colon, value = line.partition(":")
            if colon:
                items.append((name.strip(" \t"), value.strip(" \t")))
        parts.append((Headers(items), content))
    return parts
