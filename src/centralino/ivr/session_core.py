"""The machinery under ``Session``: waits, tokens, digit entry, prompts, the graph walk.

Split from ``centralino.ivr.interpreter`` (which holds one handler per node type) so each
stays small; see that module for the design.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from centralino.calls.commands import Collect, Command, Hangup, Play, StopPlayback
from centralino.calls.events import Answered, CallEvent, DigitsReceived, HungUp, PlaybackFinished, Timeout
from centralino.ivr import flow as f
from centralino.ivr.actions import (
    Action,
    AgentConnected,
    AgentDisconnected,
    QueueExited,
    VoicemailRecorded,
)
from centralino.ivr.expr import Expr, parse_expr
from centralino.ivr.prompts import say_ref, spoken_value
from centralino.ivr.services import CallContext, IsOpen, Services, StaticServices, always_open
from centralino.ivr.trace import FlowTrace
from centralino.ivr.variables import Variables

__all__ = ["MAX_STEPS", "Out", "Output", "SessionCore", "Wait", "cached_expr"]

Output = Command | Action
Out = list[Output]
MAX_STEPS = 100

OnDigits = Callable[[str, float, Out], "str | None"]
OnDone = Callable[[float, Out], "str | None"]


@lru_cache(maxsize=512)
def cached_expr(text: str) -> Expr:
    return parse_expr(text)


@dataclass
class Wait:
    """What the session waits for now; a fresh ``token`` each time makes late events stale."""

    kind: str  # answer, playback, digits, queue, connected, voicemail
    token: str
    deadline: float | None = None
    on_done: OnDone | None = None  # playback finished, answered, or deadline of a non-digit wait
    on_timer: OnDone | None = None  # the deadline passed (default: on_done)
    on_digits: OnDigits | None = None  # a complete entry ("" when nothing was pressed)
    barge_in: bool = False  # keys end this playback
    playing: bool = False
    buffer: str = ""
    max_digits: int = 1
    terminator: str = ""
    timeout: float = 5.0
    inter_timeout: float = 3.0


class SessionCore:
    """State and driving surface of a session; node handlers are added by ``Session``."""

    def __init__(self, flow: f.Flow, context: CallContext, now: float, *, services: Services | None = None,
                 is_open: IsOpen = always_open, flows: Mapping[str, f.Flow] | None = None,
                 rng: random.Random | None = None) -> None:
        self.flow = flow
        self.context = context
        self.services: Services = services or StaticServices()
        self.is_open = is_open
        self.flows = dict(flows or {})
        self.rng = rng or random.Random(0)
        self.trace = FlowTrace(context.leg, flow.name, now)
        self.vars = Variables(context, flow.languages[0], self.services, now)
        self.finished = False
        self._leg = context.leg
        self._answered = context.answered
        self._wait: Wait | None = None
        self._stack: list[tuple[f.Flow, str]] = []
        self._seq = 0
        self._tries = 0
        self._queued: f.Enqueue | None = None
        self._connected = False
        self._typeahead = ""

    # -- the driving surface -------------------------------------------------

    def start(self, now: float) -> list[Output]:
        self.vars.now = now
        return self._goto(self.flow.start, now, [])

    def next_deadline(self) -> float | None:
        return None if self.finished or self._wait is None else self._wait.deadline

    def handle_timer(self, now: float) -> list[Output]:
        self.vars.now = now
        wait = self._wait
        if self.finished or wait is None or wait.deadline is None or now < wait.deadline:
            return []
        return self._expire(wait, now, [])

    def handle(self, event: CallEvent, now: float) -> list[Output]:
        self.vars.now = now
        out: Out = []
        if self.finished:
            return out
        if isinstance(event, HungUp):
            self._on_hangup(now)
            return out
        if isinstance(event, AgentConnected | AgentDisconnected | QueueExited):
            return self._on_queue_event(event, now, out)
        wait = self._wait
        if wait is None:
            return out
        if isinstance(event, Answered):
            self._answered = True
            if wait.kind == "answer":
                return self._resume(wait, now, out)
        elif isinstance(event, PlaybackFinished) and event.playback == wait.token:
            if wait.kind == "digits" and wait.playing:
                wait.playing = False
                wait.deadline = now + wait.timeout
            elif wait.kind == "playback":
                return self._resume(wait, now, out)
        elif isinstance(event, DigitsReceived):
            return self._on_digits(wait, event.digits, now, out)
        elif isinstance(event, Timeout) and event.name == wait.token:
            return self._expire(wait, now, out)
        elif isinstance(event, VoicemailRecorded) and wait.kind == "voicemail":
            self.trace.note(f"voicemail {event.seconds:.0f} s")
            return self._resume(wait, now, out)
        return out

    def screen_pop(self) -> dict[str, Any]:
        """What the agent sees: customer fields, language, verification, the IVR path."""
        return {**self.vars.public(), "ivr": self.trace.summary()}

    # -- walking the graph ---------------------------------------------------

    def _goto(self, target: str | None, now: float, out: Out) -> Out:
        steps = 0
        while target is not None and not self.finished:
            steps += 1
            node = self.flow.nodes.get(target)
            if node is None or steps > MAX_STEPS:
                why = f"no node {target!r}" if node is None else f"{MAX_STEPS} steps without waiting"
                self.trace.note(f"error: {why}")
                return self._hangup(now, out, "ivr-error")
            self._wait = None
            self._tries = 0
            self.trace.enter(self.flow.name, node.id, node.kind, now)
            target = getattr(self, f"_enter_{node.kind}")(node, now, out)
        return out

    def _resume(self, wait: Wait, now: float, out: Out) -> Out:
        self._wait = None
        target = wait.on_done(now, out) if wait.on_done else None
        return self._goto(target, now, out)

    def _expire(self, wait: Wait, now: float, out: Out) -> Out:
        self._wait = None
        if wait.kind == "digits":
            if wait.playing:
                out.append(StopPlayback(leg=self._leg))
            return self._goto(wait.on_digits(wait.buffer, now, out) if wait.on_digits else None, now, out)
        callback = wait.on_timer or wait.on_done
        return self._goto(callback(now, out) if callback else None, now, out)

    def _token(self) -> str:
        self._seq += 1
        node = self.trace.steps[-1].node if self.trace.steps else "start"
        return f"{self._leg}:{node}:{self._seq}"

    def _end(self, now: float, outcome: str) -> None:
        self.finished = True
        self._wait = None
        self.trace.end(now, outcome)

    def _hangup(self, now: float, out: Out, cause: str = "normal") -> Out:
        out.append(Hangup(leg=self._leg, cause=cause))
        self._end(now, "hung up" if cause == "normal" else f"hung up ({cause})")
        return out

    def _on_hangup(self, now: float) -> None:
        node = self.trace.steps[-1].node if self.trace.steps else "start"
        if self._queued is not None:
            outcome = "completed" if self._connected else "abandoned in queue"
        else:
            outcome = f"caller hung up in {node}"
        self.trace.note(outcome)
        self._end(now, outcome)

    # -- media helpers -------------------------------------------------------

    def _render(self, items: Sequence[f.PromptItem], language: str | None = None) -> list[str]:
        lang = language or self.vars.language
        refs: list[str] = []
        for item in items:
            if isinstance(item, f.Say):
                ref = self._say(item.say, item.var, item.currency, lang)
                if ref:
                    refs.append(ref)
                continue
            texts = self.flow.prompts.get(item, {})
            ref = texts.get(lang) or texts.get("*") or texts.get(self.flow.languages[0])
            if ref:
                refs.append(ref)
        return refs

    def _say(self, kind: str, var: str, currency: str | None, language: str) -> str | None:
        value = spoken_value(kind, self.vars.get(var))
        if value is None:
            return None
        code = None
        if kind == "currency":
            code = currency if currency and currency.isupper() and len(currency) == 3 else (
                self.vars.get(currency or "customer.currency"))
        return say_ref(language, kind, value, str(code) if code else None)

    def _speak(self, refs: list[str], now: float, out: Out, then: OnDone,
               barge_in: bool = False) -> str | None:
        """Play ``refs`` and continue with ``then`` when they finish (at once if there are none)."""
        if not refs:
            return then(now, out)
        token = self._token()
        out.append(Play(leg=self._leg, prompts=tuple(refs), playback=token, barge_in=barge_in))
        self._wait = Wait("playback", token, on_done=then, barge_in=barge_in)
        return None

    def _ask(self, refs: list[str], now: float, out: Out, on_digits: OnDigits, *, max_digits: int = 1,
             terminator: str = "", timeout: float = 5.0, inter_timeout: float = 3.0) -> str | None:
        """Prompt (barge-in) and collect an entry; ``on_digits`` gets it, or "" on silence.

        Keys typed ahead (during a barge-in ``play``) are used first; if they complete the
        entry the prompt is skipped and the next node id is returned at once.
        """
        token = self._token()
        wait = Wait("digits", token, on_digits=on_digits, max_digits=max_digits, terminator=terminator,
                     timeout=timeout, inter_timeout=inter_timeout)
        self._wait = wait
        keys, self._typeahead = self._typeahead, ""
        if refs and not keys:
            out.append(Play(leg=self._leg, prompts=tuple(refs), playback=token, barge_in=True))
            wait.playing = True
        else:
            wait.deadline = now + timeout
        out.append(Collect(leg=self._leg, max_digits=max_digits, first_timeout=timeout,
                           inter_timeout=inter_timeout, terminator=terminator))
        if keys:
            return self._feed(wait, keys, now, out)
        return None

    def _on_digits(self, wait: Wait, digits: str, now: float, out: Out) -> Out:
        if wait.kind == "playback" and wait.barge_in:
            # Keys during a barge-in prompt stop it and count as type-ahead for the next question.
            out.append(StopPlayback(leg=self._leg))
            self._typeahead += digits
            return self._resume(wait, now, out)
        if wait.kind != "digits":
            return out
        if wait.playing:
            out.append(StopPlayback(leg=self._leg))
            wait.playing = False
        return self._goto(self._feed(wait, digits, now, out), now, out)

    def _feed(self, wait: Wait, digits: str, now: float, out: Out) -> str | None:
        """Add keys to the entry; when complete, the target ``on_digits`` chooses (None: wait on)."""
        for i, key in enumerate(digits):
            done = bool(wait.terminator) and key == wait.terminator
            if not done:
                wait.buffer += key
                done = len(wait.buffer) >= wait.max_digits
            if done:
                self._typeahead += digits[i + 1:]
                self._wait = None
                return wait.on_digits(wait.buffer, now, out) if wait.on_digits else None
        wait.deadline = now + wait.inter_timeout
        return None

    def _retry(self, node: f.Node, entry: str, retries: int, now: float, out: Out,
               again: Callable[[tuple[f.PromptItem, ...]], str | None], fail: str | None) -> str | None:
        """Count a wrong or missing entry; ask ``again`` (with the invalid/no-input prompt) or fail."""
        self.trace.input(entry or "(no input)")
        self._tries += 1
        if self._tries > retries:
            self.trace.note(f"no valid input after {self._tries} tries")
            if fail is None:
                self._hangup(now, out)
            return fail
        prefix = getattr(node, "invalid" if entry else "no_input", ()) or ()
        return again(tuple(prefix))

    def _on_queue_event(self, event: CallEvent, now: float, out: Out) -> Out:
        return out
