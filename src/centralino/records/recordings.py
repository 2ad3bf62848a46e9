"""Recording decisions: which calls are recorded, where the file goes, who may hear it, when it goes.

Pure functions. The policy text is the configuration file's (``recording`` of a tenant or a queue:
``all``, ``none``, ``on-demand`` or a percentage such as ``20%``); a queue's policy, when it has
one, replaces the tenant's for calls answered from that queue, while the retention period is
always the tenant's. Sampling draws from an injected ``random.Random``, so a test (or an audit)
can replay which calls were chosen.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

__all__ = [
    "Mode", "RecordingDecision", "RecordingPolicy", "decide", "effective_policy", "expires_at",
    "may_download", "may_start_on_demand", "parse_policy", "recording_file",
]

DAY = 86400.0
_PERCENT = re.compile(r"^(\d{1,3})%$")


class Mode(StrEnum):
    all = "all"
    none = "none"
    sampled = "sampled"
    on_demand = "on-demand"


@dataclass(frozen=True, slots=True)
class RecordingPolicy:
    mode: Mode
    percent: int = 100  # for ``sampled``
    retention_days: int = 90


@dataclass(frozen=True, slots=True)
class RecordingDecision:
    record: bool
    reason: str  # all, sampled, not-sampled, on-demand, none


def parse_policy(text: str, retention_days: int = 90) -> RecordingPolicy:
    """The policy of a configuration value; ValueError says which forms are accepted."""
    value = text.strip()
    match = _PERCENT.match(value)
    if match:
        percent = int(match.group(1))
        if percent > 100:
            raise ValueError(f"recording {text!r}: a percentage is 0% to 100%")
        return RecordingPolicy(Mode.sampled, percent, retention_days)
    try:
        return RecordingPolicy(Mode(value), 100, retention_days)
    except ValueError:
        raise ValueError(f"recording {text!r}: write all, none, on-demand or a percentage like 20%") from None


def effective_policy(tenant: RecordingPolicy, queue: RecordingPolicy | None) -> RecordingPolicy:
    """The queue's mode when it sets one, with the tenant's retention period."""
    if queue is None:
        return tenant
    return RecordingPolicy(queue.mode, queue.percent, tenant.retention_days)


def decide(policy: RecordingPolicy, rng: random.Random) -> RecordingDecision:
    """Whether a call starts recorded when it is answered."""
    if policy.mode is Mode.all:
        return RecordingDecision(True, "all")
    if policy.mode is Mode.sampled:
        chosen = rng.random() * 100 < policy.percent
        return RecordingDecision(chosen, "sampled" if chosen else "not-sampled")
    return RecordingDecision(False, policy.mode.value)


def may_start_on_demand(policy: RecordingPolicy) -> bool:
    """An agent may start a recording from the desktop unless the policy forbids recording."""
    return policy.mode is not Mode.none


def recording_file(tenant: str, recording_id: str, started_at: float) -> str:
    """Path of the WAV file relative to the data directory: one folder per tenant and UTC day,
    so a retention sweep or a backup can work a day at a time."""
    day = datetime.fromtimestamp(started_at, UTC)
    return f"recordings/{tenant}/{day:%Y/%m/%d}/{recording_id}.wav"


def expires_at(started_at: float, retention_days: int) -> float:
    return started_at + retention_days * DAY


def may_download(*, role: str, same_tenant: bool, installation_admin: bool, own_agent: str | None,
                 call_agents: list[str]) -> bool:
    """Agents hear their own calls; supervisors and admins their tenant's; installation admins all."""
    if installation_admin:
        return True
    if not same_tenant:
        return False
    if role in ("admin", "supervisor"):
        return True
    return role == "agent" and own_agent is not None and own_agent in call_agents
