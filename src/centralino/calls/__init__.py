"""The neutral call-control vocabulary: the seam between telephony and the engines.

The ACD and the IVR speak only these events and commands; the SIP user agents
translate to and from them, and the planning simulator emits the same events.
"""

from centralino.calls.commands import (
    Answer,
    Bridge,
    Collect,
    Command,
    Echo,
    Hangup,
    Hold,
    Play,
    Reject,
    Resume,
    Ring,
    StartRecording,
    StopPlayback,
    StopRecording,
    Transfer,
)
from centralino.calls.events import (
    Answered,
    Bridged,
    CallEvent,
    CallOffered,
    DigitsReceived,
    Failed,
    Held,
    HungUp,
    PlaybackFinished,
    Resumed,
    Ringing,
    Timeout,
)

__all__ = [
    "Answer", "Answered", "Bridge", "Bridged", "CallEvent", "CallOffered", "Collect", "Command",
    "DigitsReceived", "Echo", "Failed", "Hangup", "Held", "Hold", "HungUp", "Play", "PlaybackFinished",
    "Reject", "Resume", "Resumed", "Ring", "Ringing", "StartRecording", "StopPlayback",
    "StopRecording", "Timeout", "Transfer",
]
