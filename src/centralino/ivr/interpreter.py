"""The IVR interpreter: one ``Session`` per call, sans-I/O.

A session consumes the neutral call events (``Answered``, ``DigitsReceived``,
``PlaybackFinished``, ``Timeout``, ``HungUp``) and the IVR inputs of
``centralino.ivr.actions`` (``AgentConnected``...), and returns the commands and actions to
perform, in order. It never sleeps or arms timers: ``next_deadline()`` says when it next
needs waking and the owner calls ``handle_timer(now)`` then, like aioquic's connection.
The same code therefore runs on a fake clock in tests and on real calls in the server.

Inside, the session walks the flow's graph. Nodes that need nothing from outside (``set``,
``branch``, ``lookup``...) are passed through at once; a node that waits leaves a ``Wait``
describing what ends it: a playback token, a digit entry with its timeouts, the queue. Each
wait has a fresh token; a ``PlaybackFinished`` or ``Timeout`` naming an older token is stale
and ignored, so a media-layer timeout racing the session's own deadline cannot count twice.
Digit entries are assembled here from single keys or batches alike (terminator, maximum
length, inter-digit timeout). A run of non-waiting nodes longer than ``MAX_STEPS`` ends the
call: the loader rejects such loops, this is the last guard.
"""

from __future__ import annotations

import re
from functools import lru_cache

from centralino.calls.commands import Answer as AnswerCmd
from centralino.calls.commands import Play, StopPlayback, StopRecording
from centralino.calls.commands import Transfer as TransferCmd
from centralino.calls.events import CallEvent
from centralino.ivr import flow as f
from centralino.ivr.actions import (
    AgentConnected,
    AgentDisconnected,
    Enqueue,
    QueueExited,
    RecordVoicemail,
    RequestCallback,
    Requirements,
    StoreSurveyAnswer,
    VerificationLocked,
)
from centralino.ivr.prompts import moh_ref, tts_ref
from centralino.ivr.services import Verification
from centralino.ivr.session_core import MAX_STEPS, Out, Output, SessionCore, Wait, cached_expr
from centralino.ivr.variables import dob_to_iso, luhn_ok

__all__ = ["MAX_STEPS", "Output", "Session"]


class Session(SessionCore):
    """Runs one call through a flow; see docs/ivr.md for how the server drives it."""

    # -- node types: each returns the next node id, or None to wait ---------

    def _enter_answer(self, node: f.Answer, now: float, out: Out) -> str | None:
        if self._answered:
            return node.next
        out.append(AnswerCmd(leg=self._leg))
        self._wait = Wait("answer", self._token(), on_done=lambda now, out: node.next)
        return None

    def _enter_play(self, node: f.Play, now: float, out: Out) -> str | None:
        return self._speak(self._render(node.prompt), now, out, lambda now, out: node.next, node.barge_in)

    def _enter_menu(self, node: f.Menu, now: float, out: Out,
                    prefix: tuple[f.PromptItem, ...] = ()) -> str | None:
        def chosen(entry: str, now: float, out: Out) -> str | None:
            if entry in node.choices:
                self.trace.input(entry)
                self.trace.note(node.choices[entry])
                return node.choices[entry]
            return self._retry(node, entry, node.retries, now, out,
                               lambda p: self._enter_menu(node, now, out, p), node.fail)

        return self._ask(self._render(prefix + node.prompt), now, out, chosen, timeout=node.timeout)

    def _enter_collect(self, node: f.Collect, now: float, out: Out,
                       prefix: tuple[f.PromptItem, ...] = ()) -> str | None:
        def entered(entry: str, now: float, out: Out) -> str | None:
            valid = node.min_length <= len(entry) <= node.max_length
            if valid and node.validate == "luhn":
                valid = luhn_ok(entry)
            if valid and node.pattern is not None:
                valid = _fullmatch(node.pattern, entry)
            if valid:
                self.trace.input("*" * len(entry) if node.secret else entry)
                self.vars.set(node.var, entry, secret=node.secret)
                return node.next
            shown = "*" * len(entry) if node.secret else entry
            return self._retry(node, shown, node.retries, now, out,
                               lambda p: self._enter_collect(node, now, out, p), node.fail)

        return self._ask(self._render(prefix + node.prompt), now, out, entered, max_digits=node.max_length,
                         terminator=node.terminator, timeout=node.timeout, inter_timeout=node.inter_timeout)

    def _enter_language(self, node: f.Language, now: float, out: Out) -> str | None:
        languages = dict.fromkeys(node.choices.values())
        refs = [ref for lang in languages for ref in self._render(node.prompt, lang)]

        def chosen(entry: str, now: float, out: Out) -> str | None:
            if entry in node.choices:
                self.trace.input(entry)
                self.vars.language = node.choices[entry]
                self.trace.note(f"language {self.vars.language}")
                return node.next
            self.trace.input(entry or "(no input)")
            self._tries += 1
            if self._tries > node.retries:
                self.vars.language = node.default or self.flow.languages[0]
                self.trace.note(f"default language {self.vars.language}")
                return node.next
            return self._ask(refs, now, out, chosen, timeout=node.timeout)

        return self._ask(refs, now, out, chosen, timeout=node.timeout)

    def _enter_hours(self, node: f.Hours, now: float, out: Out) -> str | None:
        name = node.hours or self.context.hours
        is_open = True if name is None else self.is_open(name, now)
        self.trace.note(("open" if is_open else "closed") + ("" if name else " (no hours set)"))
        return node.open if is_open else node.closed

    def _enter_branch(self, node: f.Branch, now: float, out: Out) -> str | None:
        for case in node.cases:
            if cached_expr(case.when).holds(self.vars.get):
                self.trace.note(f"{case.when} -> {case.goto}")
                return case.goto
        self.trace.note(f"default -> {node.default}")
        return node.default

    def _enter_set(self, node: f.Set, now: float, out: Out) -> str | None:
        for name, value in node.vars.items():
            if isinstance(value, str) and value.startswith("="):
                value = cached_expr(value[1:]).evaluate(self.vars.get)
            self.vars.set(name, value)
        self.vars.route(node.skills, node.language, node.tier, node.priority)
        return node.next

    def _enter_lookup(self, node: f.Lookup, now: float, out: Out) -> str | None:
        value = self.context.caller if node.by == "caller_id" else str(self.vars.get(node.source) or "")
        record = self.services.find_customer(node.by, value) if value else None
        if not record or "id" not in record:
            self.trace.note("not found")
            return node.not_found
        self.vars.customer(record, node.by)
        self.trace.note(f"customer {record['id']}")
        return node.found

    def _enter_verify(self, node: f.Verify, now: float, out: Out,
                      prefix: tuple[f.PromptItem, ...] = ()) -> str | None:
        customer = self.vars.get("customer.id")
        if customer is None:
            self.trace.note("no customer to verify")
            return node.fail
        length = node.length or (4 if node.method == "pin" else 8)

        def entered(entry: str, now: float, out: Out) -> str | None:
            self.trace.input("*" * len(entry) if entry else "(no input)")
            value = dob_to_iso(entry) if node.method == "dob" else entry
            result = Verification.wrong
            if value:
                result = self.services.verify(str(customer), node.method, value, now)
            if result == Verification.ok:
                self.vars.set("verified", True)
                self.trace.note("verified")
                return node.ok
            if result == Verification.locked:
                self.trace.note("locked (earlier failures)")
                return node.fail
            self._tries += 1
            if self._tries >= node.attempts:
                out.append(VerificationLocked(leg=self._leg, customer=str(customer), method=node.method))
                self.trace.note(f"locked out after {self._tries} failures")
                return node.fail
            return self._enter_verify(node, now, out, tuple(node.invalid))

        return self._ask(self._render(prefix + node.prompt), now, out, entered, max_digits=length,
                         terminator="#", timeout=node.timeout, inter_timeout=3.0)

    def _enter_readout(self, node: f.Readout, now: float, out: Out) -> str | None:
        said = self._say(node.say, node.var, node.currency, self.vars.language)
        if said is None:
            self.trace.note(f"{node.var} is empty")
            return node.missing or node.next
        refs = self._render(node.before) + [said] + self._render(node.after)
        return self._speak(refs, now, out, lambda now, out: node.next)

    def _enter_enqueue(self, node: f.Enqueue, now: float, out: Out) -> str | None:
        route = self.vars.routing()
        language = node.language if isinstance(node.language, str) else (
            (route.language or self.vars.language) if node.language else None)
        requirements = Requirements(
            skills={**route.skills, **(node.skills or {})}, language=language,
            tier=node.tier or route.tier, priority=route.priority if node.priority is None else node.priority)
        self.vars.set("queue", node.queue)
        self._queued = node
        self.trace.note(f"queued in {node.queue}")
        out.append(Enqueue(leg=self._leg, queue=node.queue, requirements=requirements,
                           customer=_str_or_none(self.vars.get("customer.id")),
                           verified=bool(self.vars.get("verified")), data=self.screen_pop()))
        self._hold(node, now, out)
        return None

    def _hold(self, node: f.Enqueue, now: float, out: Out, offer_again: bool = True) -> None:
        """Music while queued; the callback offer interrupts it after ``callback.after`` seconds."""
        token = self._token()
        out.append(Play(leg=self._leg, prompts=(moh_ref(node.music),), playback=token, loop=True))
        offer = node.callback if offer_again else None
        self._wait = Wait("queue", token, deadline=None if offer is None else now + offer.after,
                           on_timer=lambda now, out: self._offer(node, now, out))

    def _offer(self, node: f.Enqueue, now: float, out: Out) -> str | None:
        offer = node.callback
        if offer is None or self._queued is None:
            return None
        out.append(StopPlayback(leg=self._leg))

        def answered(entry: str, now: float, out: Out) -> str | None:
            if self._queued is None:  # connected or gave up while the offer played
                return None
            if entry == offer.key:
                self.trace.input(entry)
                out.append(RequestCallback(leg=self._leg, queue=node.queue, number=self.context.caller,
                                           language=self.vars.language))
                self._queued = None
                self.trace.note("callback requested")
                return offer.accepted
            self.trace.input(entry or "(no input)")
            self._hold(node, now, out, offer.repeat)
            return None

        return self._ask(self._render(offer.prompt), now, out, answered, timeout=offer.timeout)

    def _on_queue_event(self, event: CallEvent, now: float, out: Out) -> Out:
        if isinstance(event, AgentConnected) and self._queued is not None and not self._connected:
            if self._wait is not None and (self._wait.kind == "queue" or self._wait.playing):
                out.append(StopPlayback(leg=self._leg))
            self._connected = True
            self._wait = Wait("connected", self._token())
            self.trace.leave(now, f"answered by {event.agent}")
        elif isinstance(event, AgentDisconnected) and self._connected and self._queued is not None:
            after = self._queued.after_call
            self._queued = None
            if after is None:
                return self._hangup(now, out)
            return self._goto(after, now, out)
        elif isinstance(event, QueueExited) and self._queued is not None and not self._connected:
            node, self._queued = self._queued, None
            out.append(StopPlayback(leg=self._leg))
            self.trace.note(f"left queue: {event.reason}")
            if node.exit is None:
                return self._hangup(now, out)
            return self._goto(node.exit, now, out)
        return out

    def _enter_callback(self, node: f.Callback, now: float, out: Out) -> str | None:
        def answered(entry: str, now: float, out: Out) -> str | None:
            self.trace.input(entry or "(no input)")
            if entry != node.key:
                self.trace.note("declined")
                return node.declined
            queue = node.queue or str(self.vars.get("queue") or "default")
            out.append(RequestCallback(leg=self._leg, queue=queue, number=self.context.caller,
                                       language=self.vars.language))
            self.trace.note(f"callback requested from {queue}")
            return node.accepted

        return self._ask(self._render(node.prompt), now, out, answered, timeout=node.timeout)

    def _enter_voicemail(self, node: f.Voicemail, now: float, out: Out) -> str | None:
        def finished(now: float, out: Out) -> str | None:
            if node.next is None:
                self._hangup(now, out)
            return node.next

        def too_long(now: float, out: Out) -> str | None:
            out.append(StopRecording(leg=self._leg))  # the media layer never said it stopped
            self.trace.note("recording stopped at the time limit")
            return finished(now, out)

        def record(now: float, out: Out) -> str | None:
            out.append(RecordVoicemail(leg=self._leg, mailbox=node.mailbox, max_seconds=node.max_seconds,
                                       beep=node.beep))
            self.trace.note("recording")
            self._wait = Wait("voicemail", self._token(), deadline=now + node.max_seconds + 5.0,
                               on_done=finished, on_timer=too_long)
            return None

        return self._speak(self._render(node.prompt), now, out, record)

    def _enter_transfer(self, node: f.Transfer, now: float, out: Out) -> str | None:
        out.append(TransferCmd(leg=self._leg, target=node.target))
        self._end(now, f"transferred to {node.target}")
        return None

    def _enter_announcement(self, node: f.Announcement, now: float, out: Out) -> str | None:
        text = self.services.announcement(self.context.dialled, self.vars.language)
        if not text:
            self.trace.note("none set")
            return node.next
        self.trace.note("played")
        refs = self._render(node.prefix) + [tts_ref(self.vars.language, text)]
        return self._speak(refs, now, out, lambda now, out: node.next)

    def _enter_survey(self, node: f.Survey, now: float, out: Out) -> str | None:
        def leave(now: float, out: Out) -> str | None:
            if node.next is None:
                self._hangup(now, out)
            return node.next

        if self.rng.random() >= node.sample:
            self.trace.note("not sampled")
            return leave(now, out)

        def ask(index: int, retried: bool, now: float, out: Out) -> str | None:
            if index >= len(node.questions):
                return self._speak(self._render(node.outro), now, out, leave)
            question = node.questions[index]
            refs = self._render((node.intro if index == 0 and not retried else ()) + question.prompt)

            def answered(entry: str, now: float, out: Out) -> str | None:
                if entry and entry in question.keys:
                    self.trace.input(f"{question.id}={entry}")
                    out.append(StoreSurveyAnswer(leg=self._leg, survey=node.name, question=question.id,
                                                 answer=entry, at=now))
                    return ask(index + 1, False, now, out)
                self.trace.input(f"{question.id}={entry or '(no input)'}")
                if entry and not retried:
                    return ask(index, True, now, out)
                return ask(index + 1, False, now, out)

            return self._ask(refs, now, out, answered, timeout=node.timeout)

        return ask(0, False, now, out)

    def _enter_hangup(self, node: f.Hangup, now: float, out: Out) -> str | None:
        def done(now: float, out: Out) -> str | None:
            self._hangup(now, out, node.cause)
            return None

        return self._speak(self._render(node.prompt), now, out, done)

    def _enter_goto(self, node: f.Goto, now: float, out: Out) -> str | None:
        return node.target

    def _enter_subflow(self, node: f.Subflow, now: float, out: Out) -> str | None:
        sub = self.flows.get(node.flow)
        if sub is None:
            self.trace.note(f"error: no flow {node.flow!r}")
            self._hangup(now, out, "ivr-error")
            return None
        self._stack.append((self.flow, node.next))
        self.flow = sub
        return sub.start

    def _enter_return(self, node: f.Return, now: float, out: Out) -> str | None:
        if not self._stack:
            self._hangup(now, out)
            return None
        self.flow, target = self._stack.pop()
        return target


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _fullmatch(pattern: str, text: str) -> bool:
    return _compiled(pattern).fullmatch(text) is not None


def _str_or_none(value: object) -> str | None:
    return None if value is None else str(value)


