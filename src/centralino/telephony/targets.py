"""Where a ``Ring`` goes: an extension, a SIP URI or an external number, resolved to a SIP URI.

The engines name targets in their own words (``1001``, ``+390612345678``,
``sip:alice@198.51.100.7``). ``TargetResolver`` turns them into the URI the
INVITE is sent to, in this order:

1. a SIP or SIPS URI is used as it is;
2. a static contact (``contacts``: extension -> URI) from the configuration;
3. a registered extension: ``locate("1001@domain")`` for each configured domain
   (the registrar's ``lookup``), the best binding first. The request goes to
   the address the REGISTER came from (the binding's ``source``), because a
   phone behind NAT advertises a private Contact: the URI keeps the contact's
   user part and takes the source's host and port;
4. a number (digits, optional leading ``+``) through the trunk: ``trunk`` is a URI
   template whose ``{number}`` is replaced (``sip:{number}@203.0.113.1:5060``).

Anything else is a ``TargetUnreachable`` naming what was tried, which the switch
reports as ``Failed(404)`` (or 480 for a known extension with no registration).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from centralino.core.errors import CentralinoError
from centralino.sip.location import Binding
from centralino.sip.uri import URI

__all__ = ["Locate", "TargetResolver", "TargetUnreachable"]

Locate = Callable[[str], list[Binding]]
_NUMBER = re.compile(r"^\+?[0-9*#]+$")


class TargetUnreachable(CentralinoError):
    """A ``Ring`` target that names nothing we can call; ``code`` is the SIP status to report."""

    def __init__(self, message: str, code: int = 404) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class TargetResolver:
    """Resolves ``Ring`` targets; every source is optional."""

    locate: Locate | None = None  # e.g. Registrar.lookup
    domains: Sequence[str] = ()  # AOR domains tried for a bare extension
    contacts: Mapping[str, str] = field(default_factory=dict)  # static extension -> SIP URI
    trunk: str | None = None  # URI template with {number}

    def resolve(self, target: str) -> str:
        target = target.strip()
        if target.startswith(("sip:", "sips:")):
            return target
        if target in self.contacts:
            return self.contacts[target]
        if self.locate is not None:
            aors = [target] if "@" in target else [f"{target}@{domain}" for domain in self.domains]
            for aor in aors:
                bindings = self.locate(aor)
                if bindings:
                    return self._via_source(bindings[0])
        if self.trunk is not None and _NUMBER.match(target):
            return self.trunk.replace("{number}", target)
        tried = ["SIP URI", "static contacts"]
        if self.locate is not None:
            tried.append(f"registrations in {', '.join(self.domains) or '(no domain)'}")
        if self.trunk is not None:
            tried.append("the trunk (numbers only)")
        raise TargetUnreachable(
            f"cannot ring {target!r}: tried {', '.join(tried)}; register the phone, add a static contact "
            "or configure a trunk", 480 if self.locate is not None and target.isdigit() else 404)

    @staticmethod
    def _via_source(binding: Binding) -> str:
        contact = binding.uri
        source = binding.source
        if (contact.host.strip("[]"), contact.port or 5060) == (source.host, source.port):
            return binding.contact
        host = f"[{source.host}]" if ":" in source.host else source.host
        params: dict[str, str | None] = {}
        if source.transport.upper() != "UDP":
            params["transport"] = source.transport.lower()
        return str(URI(contact.scheme, user=contact.user, host=host, port=source.port, params=params))
