"""Telephony: the switch that turns SIP legs plus media into the neutral call-control API.

``Switch`` owns a SIP endpoint (driving ``SwitchAgent``) and a media engine, and
speaks only ``centralino.calls`` to the engines; ``B2bua`` and ``EchoHandler``
are handlers on it. See docs/telephony.md.

``B2bua`` is imported lazily so that ``python -m centralino.telephony.b2bua``
does not find its own module already imported.
"""

from typing import Any

from centralino.telephony.agent import Progress, SwitchAgent
from centralino.telephony.echo import EchoHandler
from centralino.telephony.legs import RemoteMedia, SwitchLeg
from centralino.telephony.switch import Handler, Switch, SwitchConfig
from centralino.telephony.targets import TargetResolver, TargetUnreachable

__all__ = [
    "B2bua", "EchoHandler", "Handler", "Progress", "RemoteMedia", "Switch", "SwitchAgent", "SwitchConfig",
    "SwitchLeg", "TargetResolver", "TargetUnreachable", "failure_status",
]


def __getattr__(name: str) -> Any:
    if name in ("B2bua", "failure_status"):
        from centralino.telephony import b2bua

        return getattr(b2bua, name)
    raise AttributeError(f"module 'centralino.telephony' has no attribute {name!r}")
