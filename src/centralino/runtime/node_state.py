"""``NodeState``: what the parts of ``Node`` share, declared once so each part type-checks alone.

``Node`` is assembled from parts named for what they do (``outputs.OutputWorker``: the worker that
commits facts before commands; ``agent_controls.AgentControls``; ``recording_controls.
RecordingControls``); the node itself keeps construction, start/stop and the inputs. The
attributes ``Node.__init__`` sets and the methods one part calls on another are declared here
(the methods inside ``TYPE_CHECKING``, as ``centralino.acd.state.EngineState`` does), so a part
whose use drifts from the owner's signature is a mypy error, at no run-time cost.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from centralino.calls.events import CallEvent
from centralino.config.model import CenterConfig
from centralino.core.clock import Clock
from centralino.dialplan import DialPlan, PlanInput
from centralino.dialplan.contacts import Output
from centralino.ivr.flow import Flow
from centralino.media.engine import LocalMediaEngine
from centralino.media.resolver import PromptResolver
from centralino.runtime.agents import Roster
from centralino.runtime.keepalive import KeepAlive
from centralino.runtime.prompts import PromptGate
from centralino.runtime.recording import Recorded, Recordings
from centralino.runtime.security import InviteAdmission
from centralino.runtime.services import StoreServices
from centralino.sip.registrar import Registrar
from centralino.store.call_record_store import CallRecordStore
from centralino.store.db import Database
from centralino.telephony import Switch

if TYPE_CHECKING:
    from centralino.runtime.node import NodeSettings

__all__ = ["Batch", "NodeState", "Voicemails"]


@dataclass
class Batch:
    """Outputs performed together by the worker; ``done`` is set once they are (``_flush``)."""

    outputs: list[Output]
    done: asyncio.Future[None] | None = None


@dataclass
class Voicemails:
    """Voicemail recordings in progress: leg -> (the timer that ends it, when it began), and
    leg -> (call, mailbox) for the ``VoicemailLeft`` fact when it ends."""

    voicemail: dict[str, tuple[asyncio.TimerHandle, float]] = field(default_factory=dict)
    messages: dict[str, tuple[str, str]] = field(default_factory=dict)


class NodeState:
    """The node's shared attributes (set in ``Node.__init__``) and cross-part methods."""

    config: CenterConfig
    db: Database
    data_dir: Path
    settings: NodeSettings
    clock: Clock
    records: CallRecordStore
    roster: Roster
    flows: dict[str, dict[str, Flow]]
    services: dict[str, StoreServices]
    resolver: PromptResolver
    gate: PromptGate
    plan: DialPlan
    listeners: list[Callable[[Output], None]]
    event_listeners: list[Callable[[CallEvent], None]]
    registrar: Registrar | None
    admission: InviteAdmission | None
    keepalive: KeepAlive | None
    switch: Switch | None
    media: LocalMediaEngine | None
    recordings: Recordings
    _live: Voicemails
    _recording_tasks: set[asyncio.Task[None]]
    _sweep: asyncio.TimerHandle | None
    _batches: asyncio.Queue[Batch]
    _worker: asyncio.Task[None] | None
    _stopping: bool
    _loop: asyncio.AbstractEventLoop | None

    if TYPE_CHECKING:
        def submit(self, event: PlanInput | CallEvent) -> None: ...
        def login(self, tenant: str | None, extension: str) -> None: ...
        async def _finish_recording(self, recorded: Recorded) -> None: ...
