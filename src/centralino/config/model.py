"""The configuration file's schema: what a center is made of.

One YAML file describes a whole installation: tenants (the client companies of
an outsourcer, or just one company), their phone numbers, business hours,
skills, queues, agents, web users and IVR flows (kept as plain data here:
the IVR package validates flow bodies, see ``centralino.config.flows``).

The models are pydantic so that shape errors (unknown keys, wrong types) come
back with a location path, which the loader maps to file:line:column. Rules that
span several objects (an agent in an unknown queue, a duplicate number) live in
``centralino.config.rules``. Names are the natural keys: ``config apply``
matches rows by them, which is what makes applying the same file twice a no-op.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

Interval = Annotated[str, Field(pattern=r"^([01]\d|2[0-4]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$")]
"""An opening interval of one weekday in the number's time zone, e.g. "08:00-12:00"."""

NAME_PATTERN = r"^[a-z0-9][a-z0-9_.-]*$"
"""Names of tenants, skills, queues and flows: the natural keys ``config apply`` matches by."""

Name = Annotated[str, Field(min_length=1, max_length=64, pattern=NAME_PATTERN)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Role(StrEnum):
    admin = "admin"
    supervisor = "supervisor"
    agent = "agent"


class Strategy(StrEnum):
    longest_idle = "longest-idle"
    round_robin = "round-robin"
    least_talk_time = "least-talk-time"
    fewest_calls = "fewest-calls"
    ring_all = "ring-all"
    linear = "linear"
    random = "random"
    weighted_random = "weighted-random"


class ServiceLevelFormula(StrEnum):
    """How a queue's service level is computed (see docs/metrics.md)."""

    answered_only = "answered-only"  # Asterisk SL: answered within T / answered
    abandons_counted = "abandons-counted"  # Asterisk SL2
    removed_from_queue = "removed-from-queue"  # Amazon Connect
    short_abandons_excluded = "short-abandons-excluded"


class Tier(StrEnum):
    l1 = "L1"
    l2 = "L2"
    specialist = "specialist"


class RouteKind(StrEnum):
    queue = "queue"
    ivr = "ivr"
    echo = "echo"
    agent = "agent"


class Route(Strict):
    """Where calls to a number go: a queue, an IVR flow, the echo test or one agent."""

    kind: RouteKind
    target: str | None = None  # queue name, flow name or extension; none for echo


class BusinessHours(Strict):
    """Weekly hours in the number's time zone plus the public holidays of a country/region."""

    mon: list[Interval] = []
    tue: list[Interval] = []
    wed: list[Interval] = []
    thu: list[Interval] = []
    fri: list[Interval] = []
    sat: list[Interval] = []
    sun: list[Interval] = []
    holidays: str | None = None  # ISO country code, e.g. "PL" or "US"
    holidays_region: str | None = None  # subdivision, e.g. "CA"
    closed_dates: list[str] = []  # extra closing days, ISO dates


class PhoneNumber(Strict):
    """A number customers dial: E.164 (+48...) or a short internal number (100)."""

    number: str
    name: str | None = None
    time_zone: str | None = None  # IANA name; defaults to the tenant's
    hours: str | None = None  # name of a tenant business-hours set
    route: Route


class Skill(Strict):
    name: Name
    description: str = ""


class WaitStep(Strict):
    """After ``after`` seconds of waiting, widen the contact's requirements (or overflow)."""

    after: Annotated[float, Field(ge=0)]
    min_level: int | None = None  # lower the required skill level to this
    drop_skills: list[str] = []
    drop_language: bool = False
    overflow_to: str | None = None  # queue name


class Queue(Strict):
    name: Name
    description: str = ""
    strategy: Strategy = Strategy.longest_idle
    priority: Annotated[int, Field(ge=0, le=100)] = 0
    skills: dict[str, Annotated[int, Field(ge=1, le=10)]] = {}  # required skill -> minimum level
    language: str | None = None  # required language (ISO 639-1)
    max_callers: Annotated[int, Field(ge=0)] = 0  # 0 = unlimited
    max_wait: Annotated[float, Field(ge=0)] = 0  # seconds, 0 = unlimited
    join_when_empty: bool = False  # allow joining with no agent logged in
    leave_when_empty: bool = True
    ring_timeout: Annotated[float, Field(gt=0, le=300)] = 20
    wrapup: Annotated[float, Field(ge=0, le=3600)] = 10
    service_level_threshold: Annotated[float, Field(gt=0)] = 20
    service_level_formula: ServiceLevelFormula = ServiceLevelFormula.answered_only
    short_abandon: Annotated[float, Field(ge=0)] = 5
    announce_every: Annotated[float, Field(ge=0)] = 30  # 0 = no position/wait announcements
    music: str = "default"
    steps: list[WaitStep] = []
    recording: Annotated[str, Field(pattern=r"^(all|none|on-demand|\d{1,3}%)$")] | None = None


class AgentSkill(Strict):
    name: str
    level: Annotated[int, Field(ge=1, le=10)] = 5


class QueueMembership(Strict):
    queue: str
    penalty: Annotated[int, Field(ge=0, le=100)] = 0


HA1_HEX_DIGITS: dict[str, int] = {"md5": 32, "sha256": 64}
"""The digest algorithms an agent's ``sip_ha1`` may carry, with their HA1 length in hex digits."""


def is_ha1(algorithm: str, value: str) -> bool:
    """Whether ``value`` can be an HA1 of ``algorithm`` ("md5", "sha256").

    Lowercase only: a digest response hashes HA1's hex text (RFC 7616 section 3.4.1), so an
    uppercase HA1 would never match what a phone computes.
    """
    digits = HA1_HEX_DIGITS.get(algorithm)
    return digits is not None and len(value) == digits and all(c in "0123456789abcdef" for c in value)


class SipHa1(Strict):
    """An agent's SIP secret as digest HA1s, the way ``config export`` writes it (no plain password).

    HA1 = H(extension:realm:password) is bound to its realm, so the realm travels with the
    hashes: the registrar looks agents up by (extension, realm), and a tenant whose realm
    (``sip_domain``, else its name) differs from this one has phones that cannot register
    until ``sip_password`` is given again. Hex lengths are checked by the rules, which point
    at the line; the store keeps the values as written. A trunk's ``password_ha1`` has the
    same shape, for realm ``centralino`` (``TRUNK_REALM``).
    """

    realm: Annotated[str, Field(min_length=1, max_length=255)]
    md5: str | None = None  # 32 lowercase hex digits: what most phones answer with
    sha256: str | None = None  # 64 lowercase hex digits (RFC 8760)


class Agent(Strict):
    """An agent: a SIP extension registering with a password (or its HA1s), or a static contact URI."""

    extension: Annotated[str, Field(pattern=r"^[0-9]{2,8}$")]
    name: str
    sip_password: str | None = None  # plain text, stored only as HA1s on apply (demo, first setup)
    sip_ha1: SipHa1 | None = None  # the HA1s themselves, preferred in production files
    contact: str | None = None  # static SIP URI for desk phones / remote agents
    languages: list[str] = ["en"]
    tier: Tier = Tier.l1
    skills: list[AgentSkill | str] = []
    queues: list[QueueMembership | str] = []
    user: str | None = None  # the web user who logs in as this agent


class User(Strict):
    username: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")]
    role: Role
    password: str | None = None  # plain text, hashed with argon2 on apply (demo, first setup)
    password_hash: str | None = None  # an argon2 hash, preferred in production files
    display_name: str | None = None


class WebCallback(Strict):
    """The tenant's public callback form (``/static/callback.html``): off unless given. ``key`` is
    public (it is in the form's address on the tenant's web site); it names the form, not a secret."""

    queue: Name
    key: Annotated[str, Field(min_length=16, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")]


class Tenant(Strict):
    name: Name
    display_name: str | None = None
    country: str = "US"  # ISO 3166 alpha-2: default region for numbers and holidays
    time_zone: str = "UTC"
    language: str = "en"
    sip_domain: str | None = None
    business_hours: dict[str, BusinessHours] = {}
    numbers: list[PhoneNumber] = []
    skills: list[Skill] = []
    queues: list[Queue] = []
    agents: list[Agent] = []
    users: list[User] = []
    flows: dict[str, Any] = {}  # IVR flow name -> flow, validated by centralino.ivr (see config.flows)
    recording: Annotated[str, Field(pattern=r"^(all|none|on-demand|\d{1,3}%)$")] = "none"
    recording_retention_days: Annotated[int, Field(ge=1)] = 90
    web_callback: WebCallback | None = None


class Installation(Strict):
    """Settings of the installation itself (not of a tenant)."""

    name: str = "centralino"
    admins: list[User] = []  # installation admins: see every tenant


TRUNK_REALM = "centralino"
"""The digest realm trunks answer 407s in; a trunk's ``password_ha1`` is made for it."""


class Trunk(Strict):
    """A carrier or PBX sending calls in: admitted by source network, else by its own digest.

    Calls from a trunk may dial the tenants' public (E.164) numbers; ``internal: true`` also
    lets it dial internal numbers (a PBX in the building, the demo's local trunk). Phones
    never need a trunk: they are challenged for their agent's SIP password.

    The digest secret is ``password`` (plain, stored only as HA1s on apply) or
    ``password_ha1`` (the HA1s of ``username:centralino:password``, what ``config export``
    writes), as for agents. Which combinations make sense (networks that parse, credentials
    in pairs, sources or credentials at all) is checked by the rules, which point at the line.
    """

    name: Name
    sources: list[str] = []  # IPv4/IPv6 addresses or networks: "203.0.113.0/24", "2001:db8::1"
    username: Annotated[str, Field(min_length=1, max_length=128)] | None = None  # digest user (407)
    password: str | None = None  # plain text, stored only as HA1s on apply (first setup)
    password_ha1: SipHa1 | None = None  # the HA1s themselves (realm centralino), for production files
    internal: bool = False


class CenterConfig(Strict):
    """The whole file."""

    version: int = 1
    installation: Installation = Installation()
    trunks: list[Trunk] = []  # carriers and PBXs allowed to send calls in (docs/configuration.md)
    tenants: list[Tenant] = []
