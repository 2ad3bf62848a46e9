"""Mixing 20 ms frames of 16-bit samples for supervisors and conferences, with numpy.

Sums are taken in int32 and clipped to int16 (saturation, not wrap-around,
which would turn a loud moment into a crack). Supervisor modes say who hears
whom among the caller, the agent and the supervisor:

- listen: the supervisor hears both; nobody hears the supervisor;
- whisper: as listen, and the agent hears the supervisor;
- barge: all three hear each other (a three-way conference).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

__all__ = ["MonitorMode", "MonitorOutputs", "conference", "mix", "monitor"]

Frame = npt.NDArray[np.int16]


class MonitorMode(StrEnum):
    LISTEN = "listen"
    WHISPER = "whisper"
    BARGE = "barge"


def mix(*frames: Frame) -> Frame:
    """The clipped sum of equally long frames."""
    total = np.zeros(len(frames[0]), dtype=np.int32)
    for frame in frames:
        total += frame
    return np.clip(total, -32768, 32767).astype(np.int16)


@dataclass(frozen=True, slots=True)
class MonitorOutputs:
    to_caller: Frame
    to_agent: Frame
    to_supervisor: Frame


def monitor(mode: MonitorMode, caller: Frame, agent: Frame, supervisor: Frame) -> MonitorOutputs:
    """What each party hears this frame; ``caller`` etc. are what each party said."""
    to_supervisor = mix(caller, agent)
    if mode is MonitorMode.LISTEN:
        return MonitorOutputs(agent, caller, to_supervisor)
    if mode is MonitorMode.WHISPER:
        return MonitorOutputs(agent, mix(caller, supervisor), to_supervisor)
    return MonitorOutputs(mix(agent, supervisor), mix(caller, supervisor), to_supervisor)


def conference(frames: list[Frame]) -> list[Frame]:
    """N-party mix: each party hears the sum of everyone but themselves (no echo of one's own voice)."""
    stacked = np.stack(frames).astype(np.int32)
    total = stacked.sum(axis=0)
    return [np.clip(total - own, -32768, 32767).astype(np.int16) for own in stacked]
