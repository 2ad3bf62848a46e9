"""Exactly once, no stuck states, and replay: hypothesis drives random event sequences.

After every step: a contact is offered to at most one agent (several only in a
ring-all queue), an agent rings for at most one contact, every ringing offer
and every wrap-up has a deadline, no eligible agent idles while a contact
waits, and no contact is ever connected twice. At the end, replaying the
journal (in memory and through its JSON lines) gives the same decisions.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from centralino.acd import (
    AcdEvent,
    AgentLoggedIn,
    AgentLoggedOut,
    AgentReconciled,
    AgentSpec,
    AgentState,
    BreakEnded,
    BreakStarted,
    CallbackAnswered,
    CallbackFailed,
    CallbackRequested,
    CallEnded,
    Connect,
    Contact,
    ContactAbandoned,
    ContactArrived,
    ContactState,
    Engine,
    Journal,
    OfferAccepted,
    OfferContact,
    OfferDeclined,
    OfferTimedOut,
    QueueSpec,
    Requirements,
    Strategy,
    Target,
    TargetKind,
    VoicemailRequested,
    WaitStep,
    WrapUpEnded,
    replay,
)

QUEUES = [
    QueueSpec("sales", strategy=Strategy.longest_idle, ring_timeout=8, wrapup=3, announce_every=10,
              max_wait=120,
              steps=(WaitStep(after=15, drop_language=True), WaitStep(after=40, overflow_to="all"))),
    QueueSpec("all", strategy=Strategy.ring_all, ring_timeout=6, wrapup=0, join_when_empty=True,
              leave_when_empty=False, max_callers=6, fallback=Target(TargetKind.queue, "sales")),
    QueueSpec("vip", strategy=Strategy.random, priority=2, skills={"vip": 1}, ring_timeout=5, wrapup=2,
              join_when_empty=True, announce_every=7),
]
AGENTS = [
    AgentSpec("101", languages=("en",), queues={"sales": 0, "all": 0}, max_missed=2),
    AgentSpec("102", languages=("pl",), queues={"sales": 1, "all": 0, "vip": 0}, skills={"vip": 2}),
    AgentSpec("103", languages=("en", "pl"), queues={"all": 1}, max_missed=1),
    AgentSpec("104", languages=("pl",), queues={"sales": 0, "vip": 1}, skills={"vip": 1}),
]

pick = st.integers(min_value=0, max_value=1_000)


class AcdMachine(RuleBasedStateMachine):
    @initialize(seed=st.integers(0, 2**16))
    def start(self, seed: int) -> None:
        self.journal = Journal()
        self.engine = Engine(QUEUES, seed=seed, journal=self.journal)
        self.now = 0.0
        self.next_id = 0
        self.connected: dict[str, int] = {}
        self.live: list[str] = []

    def apply(self, decisions: list) -> None:
        for d in decisions:
            if isinstance(d, Connect):
                self.connected[d.contact] = self.connected.get(d.contact, 0) + 1
            if isinstance(d, OfferContact) and d.queue != "all":
                assert len(d.agents) == 1, d

    def send(self, event: AcdEvent) -> None:
        self.apply(self.engine.handle(event, self.now))

    def contact(self, n: int, state: ContactState | None = None) -> str | None:
        ids = [c for c in self.live if state is None or self.engine.contact_state(c) is state]
        return ids[n % len(ids)] if ids else None

    def ringing(self, n: int) -> tuple[str, str] | None:
        pairs = [(o.contact, a) for o in self.engine.offers() if not o.callback for a in o.agents]
        return pairs[n % len(pairs)] if pairs else None

    @rule(seconds=st.floats(0, 20, allow_nan=False))
    def advance(self, seconds: float) -> None:
        self.now += seconds
        while (due := self.engine.next_deadline()) is not None and due <= self.now:
            self.apply(self.engine.handle_timer(max(due, 0.0)))

    @rule(queue=st.sampled_from(["sales", "all", "vip"]), priority=st.integers(0, 2),
          language=st.sampled_from([None, "en", "pl"]), callback=st.booleans())
    def arrive(self, queue: str, priority: int, language: str | None, callback: bool) -> None:
        cid = f"c{self.next_id}"
        self.next_id += 1
        self.live.append(cid)
        contact = Contact(cid, queue, self.now, priority, Requirements(language=language),
                          callback="+100" if callback else None,
                          not_before=self.now + 5 if callback else None)
        self.send(ContactArrived(contact))

    @rule(n=pick)
    def login(self, n: int) -> None:
        self.send(AgentLoggedIn(AGENTS[n % len(AGENTS)]))

    @rule(n=pick)
    def logout(self, n: int) -> None:
        self.send(AgentLoggedOut(AGENTS[n % len(AGENTS)].extension))

    @rule(n=pick, start=st.booleans())
    def break_(self, n: int, start: bool) -> None:
        ext = AGENTS[n % len(AGENTS)].extension
        self.send(BreakStarted(ext, "coffee") if start else BreakEnded(ext))

    @rule(n=pick)
    def wrapup_ended(self, n: int) -> None:
        self.send(WrapUpEnded(AGENTS[n % len(AGENTS)].extension))

    @rule(n=pick, in_call=st.booleans())
    def reconcile(self, n: int, in_call: bool) -> None:
        self.send(AgentReconciled(AGENTS[n % len(AGENTS)].extension, in_call))

    @rule(n=pick, how=st.sampled_from(["accept", "decline", "timeout"]))
    def answer(self, n: int, how: str) -> None:
        pair = self.ringing(n)
        if pair is not None:
            cls = {"accept": OfferAccepted, "decline": OfferDeclined, "timeout": OfferTimedOut}[how]
            self.send(cls(*pair))

    @rule(n=pick, agent=pick)
    def stray_accept(self, n: int, agent: int) -> None:
        cid = self.contact(n)
        if cid is not None:
            self.send(OfferAccepted(cid, AGENTS[agent % len(AGENTS)].extension))

    @rule(n=pick, what=st.sampled_from(["abandon", "end", "callback", "voicemail", "cb-answer", "cb-fail"]))
    def contact_event(self, n: int, what: str) -> None:
        cid = self.contact(n)
        if cid is None:
            return
        event = {
            "abandon": ContactAbandoned(cid), "end": CallEnded(cid),
            "callback": CallbackRequested(cid, "+200"),
            "voicemail": VoicemailRequested(cid), "cb-answer": CallbackAnswered(cid),
            "cb-fail": CallbackFailed(cid, "busy"),
        }[what]
        self.send(event)

    @invariant()
    def healthy(self) -> None:
        if not hasattr(self, "engine"):
            return
        assert self.engine.audit() == []
        assert all(count == 1 for count in self.connected.values()), self.connected
        for o in self.engine.offers():
            for a in o.agents:
                assert self.engine.agent_state(a) is AgentState.reserved
        deadlines = {subject for _, kind, subject in self.engine.pending_deadlines() if kind == "ring"}
        assert {o.contact for o in self.engine.offers()} <= deadlines

    def teardown(self) -> None:
        if not hasattr(self, "engine"):
            return
        assert replay(self.journal) == self.journal.decisions()
        again = Journal.from_lines(list(self.journal.lines()))
        assert replay(again) == again.decisions()


AcdMachine.TestCase.settings = settings(
    max_examples=150, stateful_step_count=80, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestAcdStateMachine = AcdMachine.TestCase
