"""A flow: named nodes, one frozen dataclass per node type, and the prompts they speak.

A flow is a graph, not a script: every node names where the call goes next (``next``, or
per-outcome targets such as ``found``/``not_found``), so the loader can check the whole
graph before a single call runs it (dangling targets, unreachable nodes, loops that never
wait for the caller). Nodes are validated from plain data by pydantic over these stdlib
dataclasses (``__pydantic_config__`` forbids unknown keys), which keeps the runtime types
free of pydantic while the loader gets error locations for free.

Each node class declares, as class variables, its YAML ``type`` (``kind``), whether it
waits for something outside the interpreter (``waits``: the call may not spin through it)
and whether that something is the caller's input (``takes_input``); and, as methods, the
targets it may jump to and the prompts it may play, both with the field path they come
from so problems point at the right line.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, ConfigDict

_STRICT = ConfigDict(extra="forbid", coerce_numbers_to_str=True)
FieldPath = tuple[str | int, ...]


def _listify(value: Any) -> Any:
    """A single prompt may be written without brackets."""
    if value is None:
        return ()
    return [value] if isinstance(value, str | dict) else value


@dataclass(frozen=True, slots=True, kw_only=True)
class Say:
    """A value spoken in the call's language: ``{say: currency, var: customer.balance}``."""

    say: Literal["number", "digits", "currency", "date", "time"]
    var: str
    currency: str | None = None  # ISO 4217 code, or a variable holding one
    __pydantic_config__: ClassVar[ConfigDict] = _STRICT


PromptItem = str | Say
Prompts = Annotated[tuple[PromptItem, ...], BeforeValidator(_listify)]
"""Prompt names from the flow's ``prompts`` table, and spoken values, played in order."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Node:
    id: str = ""
    kind: ClassVar[str] = "node"
    waits: ClassVar[bool] = False
    takes_input: ClassVar[bool] = False
    __pydantic_config__: ClassVar[ConfigDict] = _STRICT

    def targets(self) -> Iterator[tuple[FieldPath, str]]:
        """(field path, node id) of every node this one may jump to."""
        for name in ("next", "fail", "found", "not_found", "ok", "open", "closed", "accepted",
                     "declined", "after_call", "exit", "missing", "target"):
            value = getattr(self, name, None)
            if isinstance(value, str) and value:
                yield (name,), value

    def prompts(self) -> Iterator[tuple[FieldPath, PromptItem, str | None]]:
        """(field path, prompt, language or None for every language of the flow)."""
        for name in ("prompt", "invalid", "no_input", "before", "after", "prefix", "intro", "outro"):
            for i, item in enumerate(getattr(self, name, ()) or ()):
                yield (name, i), item, None


@dataclass(frozen=True, slots=True, kw_only=True)
class Answer(Node):
    next: str
    kind: ClassVar[str] = "answer"
    waits: ClassVar[bool] = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Play(Node):
    prompt: Prompts
    next: str
    barge_in: bool = False
    kind: ClassVar[str] = "play"
    waits: ClassVar[bool] = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Menu(Node):
    """One key chooses a target; wrong or no key replays up to ``retries`` times, then ``fail``."""

    prompt: Prompts
    choices: dict[str, str]
    timeout: float = 5.0
    retries: int = 2
    invalid: Prompts = ()
    no_input: Prompts = ()
    fail: str | None = None  # None: hang up
    kind: ClassVar[str] = "menu"
    waits: ClassVar[bool] = True
    takes_input: ClassVar[bool] = True

    def targets(self) -> Iterator[tuple[FieldPath, str]]:
        for key, target in self.choices.items():
            yield ("choices", key), target
        yield from Node.targets(self)


@dataclass(frozen=True, slots=True, kw_only=True)
class Collect(Node):
    """Digits into ``var``: length, terminator, Luhn or a regular expression."""

    var: str
    prompt: Prompts
    next: str
    min_length: int = 1
    max_length: int = 20
    terminator: str = "#"
    validate: Literal["luhn"] | None = None
    pattern: str | None = None  # full match
    secret: bool = False  # keep the digits out of the trace
    timeout: float = 5.0
    inter_timeout: float = 3.0
    retries: int = 2
    invalid: Prompts = ()
    no_input: Prompts = ()
    fail: str | None = None
    kind: ClassVar[str] = "collect"
    waits: ClassVar[bool] = True
    takes_input: ClassVar[bool] = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Language(Node):
    """Key -> language; each choice's ``prompt`` is played in that choice's own language."""

    prompt: Prompts
    choices: dict[str, str]
    next: str
    timeout: float = 5.0
    retries: int = 1
    default: str | None = None  # after the last retry; None: the flow's first language
    kind: ClassVar[str] = "language"
    waits: ClassVar[bool] = True
    takes_input: ClassVar[bool] = True

    def prompts(self) -> Iterator[tuple[FieldPath, PromptItem, str | None]]:
        for language in dict.fromkeys(self.choices.values()):
            for i, item in enumerate(self.prompt):
                yield ("prompt", i), item, language


@dataclass(frozen=True, slots=True, kw_only=True)
class Hours(Node):
    """Open or closed now, by a business-hours set (holidays included); None: the number's."""

    open: str
    closed: str
    hours: str | None = None
    kind: ClassVar[str] = "hours"


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    when: str
    goto: str
    __pydantic_config__: ClassVar[ConfigDict] = _STRICT


@dataclass(frozen=True, slots=True, kw_only=True)
class Branch(Node):
    """The first case whose expression holds, else ``default``."""

    cases: tuple[Case, ...]
    default: str
    kind: ClassVar[str] = "branch"

    def targets(self) -> Iterator[tuple[FieldPath, str]]:
        for i, case in enumerate(self.cases):
            yield ("cases", i, "goto"), case.goto
        yield ("default",), self.default


@dataclass(frozen=True, slots=True, kw_only=True)
class Set(Node):
    """Variables (a string starting with ``=`` is an expression) and routing requirements."""

    next: str
    vars: dict[str, Any] = field(default_factory=dict)
    skills: dict[str, int] | None = None
    language: str | None = None
    tier: str | None = None
    priority: int | None = None
    kind: ClassVar[str] = "set"


@dataclass(frozen=True, slots=True, kw_only=True)
class Lookup(Node):
    """Find the customer by caller id or by the digits in ``source``; fills ``customer.*``."""

    by: Literal["caller_id", "account"]
    found: str
    not_found: str
    source: str = "account"
    kind: ClassVar[str] = "lookup"


@dataclass(frozen=True, slots=True, kw_only=True)
class Verify(Node):
    """PIN or date of birth of ``customer.id``; ``attempts`` wrong answers lock the caller out."""

    method: Literal["pin", "dob"]
    prompt: Prompts
    ok: str
    fail: str
    length: int | None = None  # pin: 4; dob: 8 (DDMMYYYY)
    attempts: int = 3
    timeout: float = 7.0
    invalid: Prompts = ()
    kind: ClassVar[str] = "verify"
    waits: ClassVar[bool] = True
    takes_input: ClassVar[bool] = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Readout(Node):
    """Speak a field of the call (e.g. ``customer.balance`` as currency) between two prompts."""

    var: str
    next: str
    say: Literal["number", "digits", "currency", "date", "time"] = "number"
    currency: str | None = None
    before: Prompts = ()
    after: Prompts = ()
    missing: str | None = None  # where to go when the field is empty; None: next
    kind: ClassVar[str] = "readout"
    waits: ClassVar[bool] = True


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackOffer:
    """While queued, every ``after`` seconds: "press 1 to be called back, keeping your place"."""

    after: float
    prompt: Prompts
    accepted: str
    key: str = "1"
    timeout: float = 5.0
    repeat: bool = True
    __pydantic_config__: ClassVar[ConfigDict] = _STRICT


@dataclass(frozen=True, slots=True, kw_only=True)
class Enqueue(Node):
    """Hand the call to the ACD; music until an agent answers; ``after_call`` e.g. a survey."""

    queue: str
    language: bool | str = True  # True: the call's language; False: any
    skills: dict[str, int] | None = None
    tier: str | None = None
    priority: int | None = None
    music: str = "default"
    callback: CallbackOffer | None = None
    after_call: str | None = None
    exit: str | None = None  # the queue gave up (max wait, no agents); None: hang up
    kind: ClassVar[str] = "enqueue"
    waits: ClassVar[bool] = True
    takes_input: ClassVar[bool] = True

    def targets(self) -> Iterator[tuple[FieldPath, str]]:
        if self.callback is not None:
            yield ("callback", "accepted"), self.callback.accepted
        yield from Node.targets(self)

    def prompts(self) -> Iterator[tuple[FieldPath, PromptItem, str | None]]:
        if self.callback is not None:
            for i, item in enumerate(self.callback.prompt):
                yield ("callback", "prompt", i), item, None


@dataclass(frozen=True, slots=True, kw_only=True)
class Callback(Node):
    """Offer a callback before queueing: ``key`` accepts, anything else or silence declines."""

    prompt: Prompts
    accepted: str
    declined: str
    queue: str | None = None  # None: the last queue the call was routed to
    key: str = "1"
    timeout: float = 5.0
    kind: ClassVar[str] = "callback"
    waits: ClassVar[bool] = True
    takes_input: ClassVar[bool] = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Voicemail(Node):
    mailbox: str
    prompt: Prompts = ()
    max_seconds: float = 120.0
    beep: bool = True
    next: str | None = None  # None: hang up when the recording ends
    kind: ClassVar[str] = "voicemail"
    waits: ClassVar[bool] = True
    takes_input: ClassVar[bool] = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Transfer(Node):
    target: str  # a number or extension, not a node
    kind: ClassVar[str] = "transfer"

    def targets(self) -> Iterator[tuple[FieldPath, str]]:
        return iter(())


@dataclass(frozen=True, slots=True, kw_only=True)
class Announcement(Node):
    """The supervisor's message for this number (e.g. an outage), when one is set."""

    next: str
    prefix: Prompts = ()
    kind: ClassVar[str] = "announcement"
    waits: ClassVar[bool] = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Question:
    id: str
    prompt: Prompts
    keys: str = "12345"
    __pydantic_config__: ClassVar[ConfigDict] = _STRICT


@dataclass(frozen=True, slots=True, kw_only=True)
class Survey(Node):
    """Questions answered by one key each, stored with the call; ``sample`` of calls asked."""

    name: str
    questions: tuple[Question, ...]
    intro: Prompts = ()
    outro: Prompts = ()
    timeout: float = 5.0
    sample: float = 1.0
    next: str | None = None  # None: hang up
    kind: ClassVar[str] = "survey"
    waits: ClassVar[bool] = True
    takes_input: ClassVar[bool] = True

    def prompts(self) -> Iterator[tuple[FieldPath, PromptItem, str | None]]:
        yield from Node.prompts(self)
        for q, question in enumerate(self.questions):
            for i, item in enumerate(question.prompt):
                yield ("questions", q, "prompt", i), item, None


@dataclass(frozen=True, slots=True, kw_only=True)
class Hangup(Node):
    prompt: Prompts = ()
    cause: str = "normal"
    kind: ClassVar[str] = "hangup"
    waits: ClassVar[bool] = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Goto(Node):
    target: str
    kind: ClassVar[str] = "goto"


@dataclass(frozen=True, slots=True, kw_only=True)
class Subflow(Node):
    """Run another flow from its start; its ``return`` node comes back to ``next``."""

    flow: str
    next: str
    kind: ClassVar[str] = "subflow"


@dataclass(frozen=True, slots=True, kw_only=True)
class Return(Node):
    kind: ClassVar[str] = "return"


NODE_TYPES: Mapping[str, type[Node]] = {
    cls.kind: cls
    for cls in (Answer, Play, Menu, Collect, Language, Hours, Branch, Set, Lookup, Verify, Readout,
                Enqueue, Callback, Voicemail, Transfer, Announcement, Survey, Hangup, Goto, Subflow,
                Return)
}


@dataclass(frozen=True, slots=True)
class Flow:
    """``prompts[name][language]`` is a rendered prompt reference (see ``centralino.ivr.prompts``)."""

    name: str
    start: str
    nodes: Mapping[str, Node]
    languages: tuple[str, ...] = ("en",)
    prompts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
