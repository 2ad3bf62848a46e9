"""Dialogs (RFC 3261 §12): the peer-to-peer state a call keeps between requests.

A ``Dialog`` is created from a request and a response that carries a To tag
(a 2xx, or a 1xx for an early dialog): the UAS side from the INVITE it
answers, the UAC side from the response it receives. It holds what every
later request in the call needs: Call-ID and tags (the dialog id), the
remote target (Contact), the route set (Record-Route, reversed for the UAC),
and the local and remote CSeq numbers. ``create_request`` builds an
in-dialog request (§12.2.1.1) with loose routing, or strict routing when the
first route lacks ``lr``; ``accepts`` checks the remote CSeq order (§12.2.2).

Pure values and functions: no transactions, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from centralino.sip.headers import Headers
from centralino.sip.message import Request, Response
from centralino.sip.uri import URI, NameAddr

__all__ = ["Dialog", "DialogId", "DialogState", "cancel_for", "new_request"]


class DialogId(NamedTuple):
    call_id: str
    local_tag: str
    remote_tag: str


class DialogState:
    EARLY = "early"
    CONFIRMED = "confirmed"
    TERMINATED = "terminated"


@dataclass
class Dialog:
    call_id: str
    local_tag: str
    remote_tag: str
    local: NameAddr  # our From (UAC) or To (UAS), with our tag
    remote: NameAddr  # theirs, with their tag
    remote_target: URI
    route_set: list[NameAddr] = field(default_factory=list)
    local_seq: int = 0
    remote_seq: int | None = None
    secure: bool = False
    state: str = DialogState.CONFIRMED

    @property
    def id(self) -> DialogId:
        return DialogId(self.call_id, self.local_tag, self.remote_tag)

    @classmethod
    def as_uas(cls, request: Request, response: Response) -> Dialog:
        """The dialog a UAS creates when it sends ``response`` (with a To tag) to ``request``."""
        to, remote = response.to, request.from_
        if not to.tag:
            raise ValueError("a UAS dialog needs a response with a To tag")
        if not request.contact:
            raise ValueError("a dialog-creating request needs a Contact")
        contact = request.contact[0]
        routes = list(request.record_route)
        return cls(
            call_id=request.call_id, local_tag=to.tag, remote_tag=remote.tag or "", local=to, remote=remote,
            remote_target=contact.uri, route_set=routes, local_seq=0, remote_seq=request.cseq.seq,
            secure=request.uri.scheme == "sips",
            state=DialogState.CONFIRMED if response.status < 300 else DialogState.EARLY)

    @classmethod
    def as_uac(cls, request: Request, response: Response) -> Dialog:
        """The dialog a UAC creates on a 1xx/2xx with a To tag to its ``request``."""
        to, local = response.to, request.from_
        if not to.tag:
            raise ValueError("a UAC dialog needs a response with a To tag")
        target = response.contact[0].uri if response.contact else request.uri
        routes = list(reversed(response.record_route))
        return cls(
            call_id=request.call_id, local_tag=local.tag or "", remote_tag=to.tag, local=local, remote=to,
            remote_target=target, route_set=routes, local_seq=request.cseq.seq, remote_seq=None,
            secure=request.uri.scheme == "sips",
            state=DialogState.CONFIRMED if 200 <= response.status < 300 else DialogState.EARLY)

    def update_from_2xx(self, response: Response) -> None:
        """An early dialog becomes confirmed; the remote target follows the 2xx's Contact (§12.1.2)."""
        if response.contact:
            self.remote_target = response.contact[0].uri
        self.state = DialogState.CONFIRMED

    def accepts(self, request: Request) -> bool:
        """§12.2.2: a request with a lower CSeq than the last one is out of order (answer 500)."""
        seq = request.cseq.seq
        if request.method in ("ACK", "CANCEL"):
            return True
        if self.remote_seq is not None and seq < self.remote_seq:
            return False
        self.remote_seq = seq
        if request.method in ("INVITE", "UPDATE") and request.contact:
            self.remote_target = request.contact[0].uri
        return True

    def next_uri_and_routes(self) -> tuple[URI, list[str]]:
        """Request-URI and Route values for the next request (§12.2.1.1)."""
        if not self.route_set:
            return self.remote_target, []
        first = self.route_set[0]
        if "lr" in first.uri.params:
            return self.remote_target, [str(r) for r in self.route_set]
        # Strict routing: the first route becomes the Request-URI, the remote target goes last.
        return first.uri, [str(r) for r in self.route_set[1:]] + [f"<{self.remote_target}>"]

    def next_hop(self) -> URI:
        """Where to send the next request: the first route, or the remote target (§8.1.2)."""
        return self.route_set[0].uri if self.route_set else self.remote_target

    def create_request(
        self,
        method: str,
        *,
        via: str,
        contact: str | None = None,
        body: bytes = b"",
        content_type: str | None = None,
        user_agent: str | None = None,
        cseq: int | None = None,
    ) -> Request:
        """An in-dialog request; ``via`` is the full top Via value with a fresh branch.

        ACK and CANCEL reuse the CSeq they are given (they are not new requests in the
        dialog's numbering); every other method takes the next local CSeq.
        """
        if cseq is None:
            self.local_seq += 1
            cseq = self.local_seq
        uri, routes = self.next_uri_and_routes()
        headers = Headers()
        headers.add("Via", via)
        headers.add("Max-Forwards", "70")
        for route in routes:
            headers.add("Route", route)
        headers.add("From", str(self.local))
        headers.add("To", str(self.remote))
        headers.add("Call-ID", self.call_id)
        headers.add("CSeq", f"{cseq} {method}")
        if contact is not None:
            headers.add("Contact", contact)
        if user_agent:
            headers.add("User-Agent", user_agent)
        if content_type and body:
            headers.add("Content-Type", content_type)
        headers.add("Content-Length", str(len(body)))
        return Request(method, uri, headers, body)


def new_request(
    method: str,
    target: URI,
    *,
    via: str,
    from_: NameAddr,
    call_id: str,
    cseq: int = 1,
    contact: str | None = None,
    body: bytes = b"",
    content_type: str | None = None,
    user_agent: str | None = None,
) -> Request:
    """A request outside any dialog (§8.1.1): an INVITE that may create one, an OPTIONS ping."""
    headers = Headers()
    headers.add("Via", via)
    headers.add("Max-Forwards", "70")
    headers.add("From", str(from_))
    headers.add("To", f"<{target}>")
    headers.add("Call-ID", call_id)
    headers.add("CSeq", f"{cseq} {method}")
    if contact is not None:
        headers.add("Contact", contact)
    if user_agent:
        headers.add("User-Agent", user_agent)
    if content_type and body:
        headers.add("Content-Type", content_type)
    headers.add("Content-Length", str(len(body)))
    return Request(method, target, headers, body)


def cancel_for(invite: Request) -> Request:
    """§9.1: same Request-URI, Call-ID, From, To, CSeq number and top Via (so the same branch) and Route."""
    headers = Headers()
    headers.add("Via", str(invite.top_via))
    headers.add("Max-Forwards", "70")
    for route in invite.headers.get_lines("Route"):
        headers.add("Route", route)
    headers.add("From", invite.headers.get("From") or "")
    headers.add("To", invite.headers.get("To") or "")
    headers.add("Call-ID", invite.call_id)
    headers.add("CSeq", f"{invite.cseq.seq} CANCEL")
    headers.add("Content-Length", "0")
    return Request("CANCEL", invite.uri, headers, b"")
