"""The one error the SIP wire layer raises.

Every malformed input becomes a ``SipParseError`` naming what is wrong and which
response RFC 3261 (or RFC 4475) says the receiver should send, so the transport
shell can answer or drop without knowing parser internals.
"""

from __future__ import annotations

from centralino.core.errors import CentralinoError

__all__ = ["SipParseError"]


class SipParseError(CentralinoError):
    """Bytes that are not a SIP message we can act on.

    ``status`` is the response to send (400 Bad Request, 505 Version Not
    Supported, ...); ``None`` means drop silently (malformed responses are never
    answered, RFC 3261 §18.1.2). ``reason`` says what was wrong, for logs and
    for the reason phrase / Warning of the error response.
    """

    def __init__(self, reason: str, status: int | None = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status

    def __repr__(self) -> str:
        return f"SipParseError({self.reason!r}, status={self.status!r})"
