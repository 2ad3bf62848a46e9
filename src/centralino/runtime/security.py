"""Who may start a call: INVITE admission for phones, trunks and strangers.

The switch's agent asks ``InviteAdmission`` about every new INVITE before the call exists
(``SwitchAgent.admit``); the answer is a response to send (407 challenge, 403) or None.
The policy, in order:

1. **Trunk by source address** (``TrunkAdmission.by_address``, the configuration's
   ``trunks:`` networks): admitted without a challenge if the dialled number is one of the
   tenants' public E.164 numbers, or any number when the trunk is ``internal``; else 403.
   The source address decides, not the From header: a trunk's caller ID is the customer's.
2. **An agent's phone**, known by its identity (From names a configured extension in the
   tenant's realm) or its address (a registered binding's source host): the digest
   ``Authenticator`` (the agents' stored HA1s, the same as for REGISTER) answers 407 until
   the INVITE carries the right credentials; a wrong password gets a fresh 407, repeated
   failures from one address 403. A phone may call any number.
3. **Trunk by digest**, when any trunk has credentials: 407 in realm ``centralino``, then
   the number rule of 1. The answer is checked against the trunk's HA1s, never a password:
   ``store.mapping.trunk_ha1`` gives the same hashes ``config apply`` stores (computed from a
   ``password:``, or the file's ``password_ha1:`` as written).
4. Anything else: 403. Nothing is offered to the dial plan before it is admitted.

How a call was admitted is kept for the node by Call-ID (``admitted``, bounded), e.g. for
logging or for the CTI to tell internal from external calls.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from centralino.config.model import TRUNK_REALM, CenterConfig
from centralino.runtime.agents import Roster
from centralino.sip.auth import NonceManager
from centralino.sip.authenticator import (
    Accepted,
    Authenticator,
    Challenged,
    Ha1s,
    Rejected,
    Trunk,
    TrunkAdmission,
    TrunkAdmitted,
)
from centralino.sip.message import Request, Response
from centralino.sip.transaction import Address
from centralino.store.mapping import trunk_ha1

__all__ = ["Admission", "InviteAdmission", "trunks_of"]

log = logging.getLogger("centralino.runtime.security")

_KEEP = 10_000


@dataclass(frozen=True, slots=True)
class Admission:
    """How an INVITE got in: ``kind`` "phone" (``who`` the extension) or "trunk" (its name)."""

    kind: str
    who: str
    how: str  # digest, address


def trunks_of(config: CenterConfig) -> tuple[list[Trunk], set[str]]:
    """The configured trunks as the SIP layer's ``Trunk``s (with HA1s), and those allowed internal numbers."""
    trunks = []
    for t in config.trunks:
        digest = trunk_ha1(t)
        ha1s = (Ha1s(t.username, digest.realm, digest.md5, digest.sha256, t.name)
                if digest is not None and t.username is not None else None)
        trunks.append(Trunk(t.name, Trunk.make(t.name, t.sources).networks, t.username, ha1s))
    return trunks, {t.name for t in config.trunks if t.internal}


class InviteAdmission:
    """``SwitchAgent.admit``: (INVITE, source, now) -> the response refusing it, or None."""

    def __init__(self, config: CenterConfig, roster: Roster, auth: Authenticator, nonces: NonceManager,
                 phone_hosts: Callable[[], set[str]] | None = None) -> None:
        self.roster = roster
        self.auth = auth
        trunks, self.internal_trunks = trunks_of(config)
        self.trunks = TrunkAdmission(trunks, nonces, realm=TRUNK_REALM)
        self.digest_trunks = any(t.username is not None for t in trunks)
        self.public = {n.number for t in config.tenants for n in t.numbers if n.number.startswith("+")}
        self.phone_hosts = phone_hosts or set
        self.admitted: OrderedDict[str, Admission] = OrderedDict()

    def __call__(self, request: Request, source: Address, now: float) -> Response | None:
        host = source.host
        trunk = self.trunks.by_address(host)
        if trunk is not None:
            return self._trunk_call(request, TrunkAdmitted(trunk, "address"), host)
        caller = request.from_.uri
        phone = self.roster.agent_of(f"{caller.user or ''}@{caller.host}")
        if phone is not None or host in self.phone_hosts():
            result = self.auth.check(request, host, now)
            if isinstance(result, Accepted):
                self._keep(request, Admission("phone", result.user.username, "digest"))
                return None
            return self._refused(request, result, host, "phone")
        if self.digest_trunks:
            verdict = self.trunks.check(request, host, now)
            if isinstance(verdict, TrunkAdmitted):
                return self._trunk_call(request, verdict, host)
            return self._refused(request, verdict, host, "trunk")
        why = "not a trunk's address nor an agent's phone"
        log.info("INVITE from %s refused: %s", host, why, extra={"from": str(caller), "to": request.uri.user})
        return self.auth.reject(request, 403, why).response

    def _trunk_call(self, request: Request, admitted: TrunkAdmitted, host: str) -> Response | None:
        dialled = request.uri.user or ""
        name = admitted.trunk.name
        if dialled not in self.public and name not in self.internal_trunks:
            log.info("INVITE from trunk %s (%s) to %r refused: trunks reach public numbers only", name, host,
                     dialled)
            return self.auth.reject(request, 403, "trunks reach public numbers only").response
        self._keep(request, Admission("trunk", name, admitted.how))
        return None

    def _refused(self, request: Request, result: Challenged | Rejected, host: str, who: str) -> Response:
        if isinstance(result, Rejected):
            log.info("INVITE from %s (%s) refused: %s", host, who, result.reason)
        return result.response

    def _keep(self, request: Request, admission: Admission) -> None:
        self.admitted[request.call_id] = admission
        while len(self.admitted) > _KEEP:
            self.admitted.popitem(last=False)
