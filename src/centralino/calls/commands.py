"""Call-control commands: what the engines ask telephony to do to a leg.

Commands are plain frozen values; the controller in the server turns them into
SIP and media actions, the simulator into scheduled events.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    leg: str
    kind: ClassVar[str] = "command"


@dataclass(frozen=True, slots=True, kw_only=True)
class Answer(Command):
    kind: ClassVar[str] = "answer"


@dataclass(frozen=True, slots=True, kw_only=True)
class Reject(Command):
    code: int = 486
    reason: str = "Busy Here"
    kind: ClassVar[str] = "reject"


@dataclass(frozen=True, slots=True, kw_only=True)
class Play(Command):
    """Play prompts in order; ``loop`` for music on hold; ``barge_in`` stops on a key."""

    prompts: tuple[str, ...]
    playback: str = ""
    loop: bool = False
    barge_in: bool = False
    kind: ClassVar[str] = "play"


@dataclass(frozen=True, slots=True, kw_only=True)
class StopPlayback(Command):
    kind: ClassVar[str] = "stop_playback"


@dataclass(frozen=True, slots=True, kw_only=True)
class Collect(Command):
    """Collect up to ``max_digits`` keys, ending early on ``terminator``."""

    max_digits: int
    first_timeout: float = 5.0
    inter_timeout: float = 3.0
    terminator: str = "#"
    kind: ClassVar[str] = "collect"


@dataclass(frozen=True, slots=True, kw_only=True)
class Ring(Command):
    """Create an outbound leg ``leg`` towards ``target`` (extension, URI or number)."""

    target: str
    timeout: float = 20.0
    caller_id: str | None = None
    kind: ClassVar[str] = "ring"


@dataclass(frozen=True, slots=True, kw_only=True)
class Bridge(Command):
    other: str
    kind: ClassVar[str] = "bridge"


@dataclass(frozen=True, slots=True, kw_only=True)
class Echo(Command):
    """Send the leg's received audio (and DTMF) straight back: the echo test number."""

    kind: ClassVar[str] = "echo"


@dataclass(frozen=True, slots=True, kw_only=True)
class Hold(Command):
    kind: ClassVar[str] = "hold"


@dataclass(frozen=True, slots=True, kw_only=True)
class Resume(Command):
    kind: ClassVar[str] = "resume"


@dataclass(frozen=True, slots=True, kw_only=True)
class Transfer(Command):
    target: str
    attended_with: str | None = None
    kind: ClassVar[str] = "transfer"


@dataclass(frozen=True, slots=True, kw_only=True)
class StartRecording(Command):
    path: str
    stereo: bool = True
    kind: ClassVar[str] = "start_recording"


@dataclass(frozen=True, slots=True, kw_only=True)
class StopRecording(Command):
    kind: ClassVar[str] = "stop_recording"


@dataclass(frozen=True, slots=True, kw_only=True)
class Hangup(Command):
    cause: str = "normal"
    kind: ClassVar[str] = "hangup"
