"""``Node``: the live contact center, the asyncio shell around the switch and the dial plan.

Everything decided elsewhere meets here: the ``Switch`` (SIP legs and the ``LocalMediaEngine``)
turns calls into ``centralino.calls`` events; every event goes to the ``DialPlan`` (IVR sessions
and the per-tenant ACD engines), whose commands go back to the switch and whose effects are
performed here (call-record facts into the ``CallRecordStore``, voicemail recordings into the
data directory, PIN lockouts into the store). One loop timer is armed at
``dialplan.next_deadline()``. The registrar (digest ``Authenticator`` over the agents' stored
HA1s) lives inside the switch's SIP agent; registrations are seen through the binding store
(``runtime.agents``) and may log an agent in (``auto_login_on_register``).

Ordering, and why there is one more queue: the dial plan is called synchronously, in the
order the switch delivers events, so its decisions are in order. Performing them may wait
(prompt synthesis in a thread, a database commit in a thread), so each batch of outputs is
queued and one task performs the batches strictly one after another: first the batch's
facts are committed, then its commands are given to the switch. A finished call's record is
therefore in the database before its legs are hung up and their media released. The same
holds when the caller hangs up: the switch's agent keeps the 200 to the caller's BYE back
(``confirm_bye``) and the node sends ``ConfirmBye`` in a batch queued behind the one that
records the call's end, so a caller that got its 200 has a finished record (the crash test
compares SIPp's successful calls with the records after ``kill -9``).

Keys: the IVR session collects digits itself (terminator, first and inter-digit timeouts), so
``Collect`` is not passed to the media engine, which then reports every key as it comes. The
media's own collector reports an entry without its terminator key, and the session, waiting
for that terminator, would never see an account number end with #.

Parts: ``Node`` keeps construction, start/stop and the inputs (events, the one timer); the worker
that commits facts before commands is ``runtime.outputs.OutputWorker``, the desktop's agent
controls ``runtime.agent_controls.AgentControls``, its recording controls
``runtime.recording_controls.RecordingControls``; what they share is declared in
``runtime.node_state.NodeState``.

Time: the dial plan, the registrar and the records use ``clock.now()`` (epoch seconds); the
loop timer runs on ``loop.time()``; the deadline is converted as ``loop.time() + (deadline -
clock.now())``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from centralino.calls.commands import Hangup, Reject
from centralino.calls.events import CallEvent, CallOffered, HungUp
from centralino.config.flows import tenant_flows
from centralino.config.model import CenterConfig
from centralino.core.clock import Clock, SystemClock
from centralino.dialplan import DialPlan, PlanInput
from centralino.dialplan.contacts import Output
from centralino.ivr.flow import Flow
from centralino.media.engine import LocalMediaEngine
from centralino.media.resolver import PromptResolver
from centralino.media.session import PortRange
from centralino.runtime.agent_controls import AgentControls
from centralino.runtime.agents import NotifyingBindingStore, Roster
from centralino.runtime.keepalive import KeepAlive
from centralino.runtime.node_state import Batch, Voicemails
from centralino.runtime.outputs import OutputWorker
from centralino.runtime.prompts import PromptGate, flow_prompt_refs
from centralino.runtime.recording import Recordings, quality_fact
from centralino.runtime.recording_controls import RecordingControls
from centralino.runtime.security import InviteAdmission
from centralino.runtime.services import StoreServices
from centralino.sip.auth import NonceManager
from centralino.sip.authenticator import AuthConfig, Authenticator
from centralino.sip.location import Binding
from centralino.sip.ratelimit import RateLimitConfig
from centralino.sip.registrar import Registrar, RegistrarConfig
from centralino.store.call_record_store import CallRecordStore
from centralino.store.db import Database
from centralino.store.sip_bindings import SqlBindingStore, SqlCredentialSource
from centralino.telephony import Switch, SwitchConfig, TargetResolver
from centralino.telephony.agent import ConfirmBye

__all__ = ["MOH", "Node", "NodeSettings"]

log = logging.getLogger("centralino.runtime")

MOH = "moh:default"  # what a held party hears
NONCE_SECRET_FILE = "sip_nonce_secret"


@dataclass(frozen=True)
class NodeSettings:
    bind: str = "0.0.0.0"
    sip_port: int = 5060  # 0: any free port (logged, and ``Node.sip_port``)
    tcp: bool = True
    rtp_ports: tuple[int, int] = (20000, 20999)  # RTP on even ports, RTCP on the next odd one
    public_address: str | None = None  # the address in our SDP; None: bind, or the default route's
    # Digest challenges offered, in this order. MD5 first because real clients stop at the first
    # challenge they cannot answer: Debian 12's baresip (libre 1.1) fails with ENOSYS on a leading
    # SHA-256 challenge, SIPp 3.6 reads only the first. ("SHA-256", "MD5") for phones that choose.
    auth_algorithms: tuple[str, ...] = ("MD5",)
    auto_login_on_register: bool = False  # a registering agent's phone logs the agent in
    warm_prompts: bool = True  # synthesize the flows' prompts in the background at start
    stop_timeout: float = 5.0  # how long stop() waits for live calls' records
    seed: int | None = None  # the dial plan's randomness (None: from the OS)
    # Longest a caller's BYE waits for its 200 while the call's end is being recorded (a stuck
    # database must not leave phones retransmitting until Timer F, 32 s); then it is answered.
    bye_timeout: float = 8.0
    sweep_every: float = 3600.0  # seconds between retention sweeps of recordings (and one at start)
    keepalive_interval: float | None = 30.0  # OPTIONS to each registered phone (None: no probes)
    probe_timeout: float = 5.0  # a phone silent this long after a probe is not rung until it answers


def _default_route_address() -> str:
    """The address of the interface holding the default route (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
            address: str = probe.getsockname()[0]
        except OSError:
            return "127.0.0.1"
    return address


def _nonce_secret(data_dir: Path) -> bytes:
    """Kept on disk so a phone's nonce survives a restart (otherwise: one extra challenge)."""
    path = data_dir / NONCE_SECRET_FILE
    if path.exists():
        return path.read_bytes()
    secret = os.urandom(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(secret)
    return secret


class Node(OutputWorker, AgentControls, RecordingControls):
    """The contact center of this process; ``await start()``, ``await stop()`` (an app ``Service``)."""

    name = "contact-center"

    def __init__(self, config: CenterConfig, db: Database, data_dir: Path,
                 settings: NodeSettings | None = None, *, clock: Clock | None = None,
                 flows: dict[str, dict[str, Flow]] | None = None) -> None:
        self.config = config
        self.db = db
        self.data_dir = Path(data_dir)
        self.settings = settings or NodeSettings()
        self.clock = clock or SystemClock()
        self.records = CallRecordStore(db, self.data_dir)
        self.roster = Roster(config)
        self.flows = flows if flows is not None else {
            t.name: tenant_flows(config, t) for t in config.tenants if t.flows}
        self.services = {t.name: StoreServices(db, t.name) for t in config.tenants}
        self.resolver = PromptResolver(self.data_dir / "prompts")
        self.gate = PromptGate(self.resolver)
        self.plan = DialPlan(config, flows=self.flows, services=self.services,
                             rng=random.Random(self.settings.seed))
        self.listeners: list[Callable[[Output], None]] = []  # every fact and effect, e.g. the CTI bus
        # Every call event from the switch, before the dial plan sees it: legs the plan does not own
        # (a supervisor's monitor leg, click-to-dial legs) belong to whoever started them (the CTI).
        self.event_listeners: list[Callable[[CallEvent], None]] = []
        self.registrar: Registrar | None = None
        self.admission: InviteAdmission | None = None
        self.keepalive: KeepAlive | None = None
        self.switch: Switch | None = None
        self.media: LocalMediaEngine | None = None
        self._live = Voicemails()
        # Its own generator, so sampling calls for recording does not shift the dial plan's draws.
        seed = self.settings.seed
        self.recordings = Recordings(config, random.Random(None if seed is None else seed + 1), self.data_dir)
        self._recording_tasks: set[asyncio.Task[None]] = set()
        self._sweep: asyncio.TimerHandle | None = None
        self._batches: asyncio.Queue[Batch] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
        self._warming: asyncio.Task[int] | None = None
        self._stopping = False
        self._loop: asyncio.AbstractEventLoop | None = None

    # ------------------------------------------------------------------ lifecycle

    @property
    def sip_port(self) -> int:
        return self.switch.port if self.switch is not None else self.settings.sip_port

    @property
    def public_address(self) -> str:
        s = self.settings
        if s.public_address:
            return s.public_address
        return s.bind if s.bind not in ("0.0.0.0", "::") else _default_route_address()

    async def start(self) -> None:
        """Reconcile the records, then bind SIP and RTP and take calls."""
        self._loop = asyncio.get_running_loop()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        interrupted = await asyncio.to_thread(self.records.close_interrupted, self.clock.now())
        if interrupted:
            log.warning("closed %d call records left open by the previous run", len(interrupted),
                        extra={"calls": interrupted[:20]})
        s = self.settings
        nonces = NonceManager(_nonce_secret(self.data_dir), self.clock)
        auth = Authenticator(SqlCredentialSource(self.db), nonces, AuthConfig(algorithms=s.auth_algorithms))
        store = NotifyingBindingStore(SqlBindingStore(self.db), self._registered, self._unregistered)
        self.registrar = Registrar.from_store(store, self.clock.now(), authenticator=auth,
                                              config=RegistrarConfig(keepalive_interval=s.keepalive_interval))
        contacts = {a.extension: a.contact for t in self.config.tenants for a in t.agents if a.contact}
        resolver = TargetResolver(locate=self.registrar.lookup, domains=self.roster.realms, contacts=contacts)
        switch_config = SwitchConfig(bind=s.bind, port=s.sip_port, tcp=s.tcp, moh=MOH)
        # carriers send many calls a second from one address: their networks skip the per-source limit
        exempt = tuple(network for trunk in self.config.trunks for network in trunk.sources)
        self.switch = Switch(switch_config, resolver=resolver, registrar=self.registrar, clock=self.clock,
                             rate_limit=RateLimitConfig(exempt=exempt))
        self.switch.handler = self._on_event
        self.switch.agent.confirm_bye = True  # 200 to a BYE once the call's end is committed
        self.admission = InviteAdmission(self.config, self.roster, auth, nonces, self._phone_hosts)
        self.switch.agent.admit = self.admission  # 407 for phones, trunks by address, else 403
        await asyncio.to_thread(self.resolver.resolve, MOH)
        low, high = s.rtp_ports
        self.media = LocalMediaEngine(self.switch.on_media_event, self.resolver.prompts, PortRange(low, high),
                                      host=self.public_address, clock=self.clock)
        self._worker = self._loop.create_task(self._perform_batches(), name="node-outputs")
        await self.media.start()
        await self.switch.start(self.media)
        self.keepalive = KeepAlive(self.registrar, self.switch_command, self.clock, s.probe_timeout)
        self.keepalive.start(self._loop)
        self.registrar.flush()  # bindings that expired while we were down
        if s.auto_login_on_register:
            for binding in self.registrar_bindings():
                self._registered(binding)
        self._sweep_recordings()
        if s.warm_prompts:
            refs = [r for flows in self.flows.values() for r in flow_prompt_refs(flows)]
            self._warming = self._loop.create_task(self.gate.warm(refs), name="prompt-warmup")
        log.info("contact center listening", extra={
            "sip": f"{s.bind}:{self.sip_port}", "rtp": f"{low}-{high}", "media_address": self.public_address,
            "digest": "/".join(s.auth_algorithms), "auto_login": s.auto_login_on_register})

    def _phone_hosts(self) -> set[str]:
        return {b.source.host for b in self.registrar_bindings()}

    def registrar_bindings(self) -> list[Binding]:
        if self.registrar is None:
            return []
        return [b for aor in self.registrar.location.aors() for b in self.registrar.lookup(aor)]

    async def stop(self) -> None:
        """Refuse new calls, hang up live ones with their records committed, then unbind."""
        self._stopping = True
        if self._warming is not None:
            self._warming.cancel()
        for leg in list(self.plan.live_legs()):
            self.switch_command(Hangup(leg=leg, cause="shutdown"))
        try:
            await asyncio.wait_for(self._settled(), self.settings.stop_timeout)
        except TimeoutError:
            log.warning("stopping with calls still up", extra={"legs": list(self.plan.live_legs())})
        for handle, _ in self._live.voicemail.values():
            handle.cancel()
        if self.keepalive is not None:
            self.keepalive.stop()
        if self._sweep is not None:
            self._sweep.cancel()
        await self._flush()
        if self._recording_tasks:
            await asyncio.wait(self._recording_tasks, timeout=self.settings.stop_timeout)
        if self.switch is not None:
            await self.switch.stop()
        await self._flush()
        if self.media is not None:
            await self.media.close()
        if self._timer is not None:
            self._timer.cancel()
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        log.info("contact center stopped")

    async def _settled(self) -> None:
        while self.plan.live_legs():
            await self._flush()
            await asyncio.sleep(0.02)
        await self._flush()

    # ------------------------------------------------------------------ inputs

    def _on_event(self, event: CallEvent) -> None:
        if isinstance(event, CallOffered) and self._stopping:
            self.switch_command(Reject(leg=event.leg, code=503, reason="Service Unavailable (shutting down)"))
            return
        self._forget_leg(event)
        for listener in self.event_listeners:
            try:
                listener(event)
            except Exception:
                log.exception("an event listener failed on %s", type(event).__name__)
        self._decide(lambda now: self.plan.handle(event, now))
        if isinstance(event, HungUp):
            self._leg_ended(event)

    def _leg_ended(self, event: HungUp) -> None:
        """The leg's media figures as a fact; then, behind the batch recording the hang-up
        (batches run in order), the 200 to the peer's BYE."""
        outputs: list[Output] = []
        call = self.recordings.leg_call(event.leg)
        stats = self.switch.stats(event.leg) if self.switch is not None else None
        if call is not None and stats is not None:
            outputs.append(quality_fact(call, event.leg, stats, self.clock.now()))
        if event.by == "remote":
            outputs.append(ConfirmBye(leg=event.leg))
            if self._loop is not None:
                self._loop.call_later(self.settings.bye_timeout, self._late_bye, event.leg)
        if outputs:
            self._batches.put_nowait(Batch(outputs))

    def _late_bye(self, leg: str) -> None:
        if self.switch is not None and self.switch.agent.bye_waiting(leg):
            log.warning("BYE of leg %s answered before its record was committed (outputs late)", leg)
            self.switch_command(ConfirmBye(leg=leg))

    def submit(self, event: PlanInput | CallEvent) -> None:
        """A desktop/API input (``AgentLogin``...) or a media-side event, decided now."""
        self._decide(lambda now: self.plan.handle(event, now))

    def _decide(self, decide: Callable[[float], list[Output]]) -> None:
        try:
            outputs = decide(self.clock.now())
        except Exception:
            log.exception("the dial plan failed on an input")
            outputs = []
        if outputs:
            self._batches.put_nowait(Batch(outputs))
        self._arm()

    def _arm(self) -> None:
        """Keep exactly one loop timer, at the dial plan's next deadline."""
        if self._loop is None:
            return
        deadline = self.plan.next_deadline()
        if deadline == self._timer_at and (deadline is None or self._timer is not None):
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_at = deadline
        if deadline is not None:
            delay = max(0.0, deadline - self.clock.now())
            self._timer = self._loop.call_at(self._loop.time() + delay, self._fire)

    def _fire(self) -> None:
        self._timer, self._timer_at = None, None
        self._decide(self.plan.handle_timer)

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The loop the node runs on (None before ``start``): other threads hand it work."""
        return self._loop
