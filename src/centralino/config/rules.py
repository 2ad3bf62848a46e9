"""Checks that span several objects of the file: references, uniqueness, real-world codes.

The rules read the plain data (not the validated models) so that they still run when some
other part of the file has a shape error: the user gets every problem in one pass. Values of
the wrong type are skipped here, since the shape check has already reported them.

Real-world codes are checked against libraries, not hand lists: phone numbers with
``phonenumbers``, time zones with ``zoneinfo``, holiday calendars with ``holidays``,
countries (ISO 3166) and languages (ISO 639-1) with ``pycountry``, password hashes with
``argon2``. Agents' SIP digest HA1s (``sip_ha1``) are checked for length and case, and
against the tenant's realm: an HA1 made for another realm cannot authenticate anybody.
Trunks (``trunks:``) are checked here rather than in the model, so each problem points at its
own line: unique names, sources that ``ipaddress`` parses, credentials in pairs (a username
with a password or its HA1s, never both), and sources or credentials at all.

IVR flows are validated by the IVR package's loader (``centralino.config.flows`` runs it with
the file's positions); here its problems join the others, and what the flows name (queues,
skills, business-hours sets, transfer targets) is checked against the tenant.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Iterator
from datetime import date
from enum import StrEnum
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import argon2
import holidays
import pycountry

from centralino.config.flows import load_tenant_flows, transfer_target_problem
from centralino.config.model import HA1_HEX_DIGITS, NAME_PATTERN, TRUNK_REALM, is_ha1
from centralino.config.numbers import classify_number
from centralino.config.source import DocPath, Positions, format_path
from centralino.core.errors import Problem

__all__ = ["Severity", "check_data"]


class Severity(StrEnum):
    error = "error"  # the file cannot be loaded
    warning = "warning"  # loaded, but probably not what was meant


DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_NAME = re.compile(NAME_PATTERN)


def check_data(data: Any, positions: Positions | None = None, filename: str | None = None) -> list[Problem]:
    """Every cross-object problem of a configuration given as plain data (as parsed from YAML)."""
    checker = _Checker(positions or Positions(), filename)
    if isinstance(data, dict):
        checker.installation(data)
    return checker.problems


def _items(container: Any, key: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """The (index, mapping) items of a list field, skipping entries of the wrong shape."""
    value = container.get(key) if isinstance(container, dict) else None
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict):
                yield index, item


def _mapping(container: Any, key: str) -> dict[str, Any]:
    """A mapping field, or an empty one when it is missing or of the wrong shape (reported elsewhere)."""
    value = container.get(key) if isinstance(container, dict) else None
    return value if isinstance(value, dict) else {}


def _text(container: Any, key: str) -> str | None:
    value = container.get(key) if isinstance(container, dict) else None
    return value if isinstance(value, str) else None


def _close(word: str, known: set[str] | dict[str, Any]) -> str | None:
    matches = difflib.get_close_matches(word, sorted(known), n=1, cutoff=0.6)
    return f"did you mean '{matches[0]}'?" if matches else None


@cache
def _zone_ok(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ValueError, KeyError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return False
    return True


def _language_ok(code: str) -> bool:
    return len(code) == 2 and code.islower() and pycountry.languages.get(alpha_2=code) is not None


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


class _Checker:
    def __init__(self, positions: Positions, filename: str | None) -> None:
        self.positions = positions
        self.filename = filename
        self.problems: list[Problem] = []
        self.usernames: dict[str, DocPath] = {}
        self.numbers: dict[str, DocPath] = {}

    def report(self, path: DocPath, message: str, hint: str | None = None,
               severity: Severity = Severity.error, *, key: bool = False) -> None:
        line, column = self.positions.locate(path, key=key)
        self.problems.append(Problem(message=message, file=self.filename, line=line, column=column,
                                     path=format_path(path), hint=hint, severity=severity.value))

    def where(self, path: DocPath) -> str:
        line, _ = self.positions.locate(path)
        return f"line {line}" if line is not None else format_path(path)

    def unique(self, seen: dict[str, DocPath], value: str, path: DocPath, what: str) -> None:
        if value in seen:
            self.report(path, f"{what} '{value}' is already used ({self.where(seen[value])})",
                        f"give each {what} a different value")
        else:
            seen[value] = path

    # ------------------------------------------------------------------ installation

    def installation(self, data: dict[str, Any]) -> None:
        version = data.get("version", 1)
        if isinstance(version, int) and version != 1:
            self.report(("version",), f"file format version {version} is not supported",
                        "this Centralino reads version 1 files")
        installation = data.get("installation")
        for index, admin in _items(installation, "admins"):
            path: DocPath = ("installation", "admins", index)
            self.user(admin, path)
            if _text(admin, "role") not in (None, "admin"):
                self.report((*path, "role"), "installation admins must have role 'admin'",
                            "put supervisors and agents under their tenant's 'users:'")
        self.trunks(data)
        tenant_names: dict[str, DocPath] = {}
        for index, tenant in _items(data, "tenants"):
            name = _text(tenant, "name")
            if name:
                self.unique(tenant_names, name, ("tenants", index, "name"), "tenant name")
            _Tenant(self, tenant, ("tenants", index)).check()
        if not any(True for _ in _items(data, "tenants")):
            self.report((), "the file defines no tenant", "add a 'tenants:' list with at least one tenant",
                        Severity.warning)

    def user(self, user: dict[str, Any], path: DocPath) -> None:
        username = _text(user, "username")
        if username:
            self.unique(self.usernames, username, (*path, "username"), "username")
        password, hashed = user.get("password"), _text(user, "password_hash")
        if password is None and hashed is None:
            self.report(path, f"user '{username}' has no password and cannot log in",
                        "add 'password:' (hashed on apply) or 'password_hash:' (an argon2 hash)",
                        Severity.warning)
        elif password is not None and hashed is not None:
            self.report((*path, "password_hash"), f"user '{username}' has both a password and a hash",
                        "keep only one of 'password:' and 'password_hash:'")
        if hashed is not None:
            try:
                argon2.extract_parameters(hashed)
            except argon2.exceptions.InvalidHashError:
                self.report((*path, "password_hash"), "password_hash is not an argon2 hash",
                            "it starts with '$argon2id$'; make one with 'centralino user hash-password'")

    def trunks(self, data: dict[str, Any]) -> None:
        names: dict[str, DocPath] = {}
        for index, trunk in _items(data, "trunks"):
            path: DocPath = ("trunks", index)
            name = _text(trunk, "name")
            if name:
                self.unique(names, name, (*path, "name"), "trunk name")
            label = f"trunk '{name}'" if name else f"trunk {index + 1}"
            sources = trunk.get("sources")
            for number, text in enumerate(sources if isinstance(sources, list) else []):
                if isinstance(text, str):
                    self.network(text, (*path, "sources", number))
            username, password = _text(trunk, "username"), trunk.get("password")
            ha1 = trunk.get("password_ha1")
            if password is not None and ha1 is not None:
                self.report((*path, "password_ha1"), f"{label} has both 'password' and 'password_ha1'",
                            "keep only one: apply makes the hashes from the password")
            if username is None and (password is not None or ha1 is not None):
                self.report(path, f"{label} has a password but no 'username': digest needs username and "
                            "password", "add 'username:' (what the carrier answers the 407 with)")
            elif username is not None and password is None and ha1 is None:
                self.report(path, f"{label} has a username but no password: digest needs username and "
                            "password", "add 'password:' (hashed on apply) or 'password_ha1:' (its HA1s)")
            elif username is None and not sources:
                self.report(path, f"{label} has neither 'sources' nor credentials: nothing can reach it",
                            "add 'sources:' (the carrier's networks) or 'username:' and 'password:'")
            if isinstance(ha1, dict):
                self.ha1(ha1, (*path, "password_ha1"), label, "password")
                realm = _text(ha1, "realm")
                if realm is not None and realm != TRUNK_REALM:
                    self.report((*path, "password_ha1", "realm"), f"the HA1s of {label} were made for realm "
                                f"'{realm}', but trunks answer in realm '{TRUNK_REALM}': it cannot log in",
                                f"give 'password:' again, or HA1s of username:{TRUNK_REALM}:password")

    def network(self, text: str, path: DocPath) -> None:
        """A source that ``ipaddress`` reads; a network written with host bits, or everything, warned."""
        try:
            network = ipaddress.ip_network(text, strict=False)
        except ValueError:
            self.report(path, f"'{text}' is not an IP address or network",
                        "write an address (203.0.113.7, 2001:db8::1) or a network (203.0.113.0/24)")
            return
        if network.prefixlen == 0:
            self.report(path, f"'{text}' admits every address as this trunk", "name the carrier's networks",
                        Severity.warning)
        elif "/" in text and ipaddress.ip_interface(text).ip != network.network_address:
            self.report(path, f"'{text}' has host bits set: it means {network.with_prefixlen}",
                        f"write '{network.with_prefixlen}' (or the address alone)", Severity.warning)

    def ha1(self, ha1: dict[str, Any], path: DocPath, who: str, plain: str) -> None:
        """HA1s (agents' ``sip_ha1``, trunks' ``password_ha1``) of the right length and case."""
        if not any(ha1.get(name) is not None for name in HA1_HEX_DIGITS):
            self.report(path, f"'{path[-1]}' of {who} has neither 'md5' nor 'sha256'",
                        f"add the HA1s as 'config export' writes them, or give '{plain}:' instead")
        for name, digits in HA1_HEX_DIGITS.items():
            value = _text(ha1, name)
            if value is None or is_ha1(name, value):
                continue
            hint = ("write the hex digits in lowercase" if is_ha1(name, value.lower()) else
                    f"it has {len(value)} characters; export it again, or give '{plain}:' instead")
            self.report((*path, name), f"'{name}' must be an HA1 of {digits} lowercase hexadecimal digits",
                        hint)

    def number(self, text: str, path: DocPath) -> None:
        info = classify_number(text)
        if not text.startswith("+") and not info.is_internal:
            self.report(path, f"'{text}' is not a phone number",
                        "write E.164 with '+' and the country code (+48221234567), "
                        "or an internal number of 2-8 digits")
            return
        if not info.valid:
            self.report(path, f"'{text}' is not a valid phone number",
                        "check the country code and the number of digits")
            return
        key = info.e164 or text
        if info.e164 and info.e164 != text:
            self.report(path, f"write '{text}' in E.164 form", f"write '{info.e164}'", Severity.warning)
        self.unique(self.numbers, key, path, "number")


class _Tenant:
    """The rules within one tenant: names in a tenant refer only to that tenant's objects."""

    def __init__(self, checker: _Checker, tenant: dict[str, Any], path: DocPath) -> None:
        self.c = checker
        self.t = tenant
        self.path = path
        self.skills: dict[str, DocPath] = {}
        self.queues: dict[str, DocPath] = {}
        self.extensions: dict[str, DocPath] = {}
        self.users: dict[str, tuple[DocPath, str | None]] = {}
        self.hours = _mapping(self.t, "business_hours")
        self.flow_section = _mapping(self.t, "flows")
        self.realm = _text(self.t, "sip_domain") or _text(self.t, "name")  # the agents' digest realm

    def check(self) -> None:
        self.settings()
        for name, hours in self.hours.items():
            if isinstance(hours, dict):
                self.business_hours(hours, (*self.path, "business_hours", name))
        self.collect()
        for index, number in _items(self.t, "numbers"):
            self.phone_number(number, (*self.path, "numbers", index))
        for index, queue in _items(self.t, "queues"):
            self.queue(queue, (*self.path, "queues", index))
        linked: dict[str, DocPath] = {}
        for index, agent in _items(self.t, "agents"):
            self.agent(agent, (*self.path, "agents", index), linked)
        self.flows()

    def settings(self) -> None:
        country = _text(self.t, "country")
        if country is not None and pycountry.countries.get(alpha_2=country) is None:
            self.c.report((*self.path, "country"), f"'{country}' is not a country code",
                          "use ISO 3166 alpha-2 in capitals, e.g. PL, IT, US")
        self.zone(_text(self.t, "time_zone"), (*self.path, "time_zone"))
        self.language(_text(self.t, "language"), (*self.path, "language"))
        self.recording(_text(self.t, "recording"), (*self.path, "recording"))

    def zone(self, name: str | None, path: DocPath) -> None:
        if name is not None and not _zone_ok(name):
            self.c.report(path, f"'{name}' is not a time zone",
                          "use an IANA name such as Europe/Warsaw or America/New_York")

    def language(self, code: str | None, path: DocPath) -> None:
        if code is not None and not _language_ok(code):
            self.c.report(path, f"'{code}' is not a language code",
                          "use ISO 639-1: two lowercase letters such as en, pl, it, es, de, sq")

    def recording(self, value: str | None, path: DocPath) -> None:
        if value and value.endswith("%") and value[:-1].isdigit() and int(value[:-1]) > 100:
            self.c.report(path, f"recording {value} is more than every call", "use a percentage up to 100%")

    def business_hours(self, hours: dict[str, Any], path: DocPath) -> None:
        for day in DAYS:
            intervals = [(i, v) for i, v in enumerate(hours.get(day) or []) if isinstance(v, str)]
            spans: list[tuple[int, int, int]] = []
            for index, interval in intervals:
                if "-" not in interval or interval.count(":") != 2:
                    continue  # malformed: the shape check has said so
                start, end = (_minutes(part) for part in interval.split("-"))
                where = (*path, day, index)
                if max(start, end) > 24 * 60:
                    self.c.report(where, f"'{interval}' goes past 24:00", "the latest time is 24:00")
                elif end <= start:
                    self.c.report(where, f"'{interval}' ends before it starts",
                                  "intervals stay within one day; split a night shift at 24:00")
                else:
                    spans.append((start, end, index))
            spans.sort()
            for (_, end, _), (start, _, index) in zip(spans, spans[1:], strict=False):
                if start < end:
                    self.c.report((*path, day, index), "this interval overlaps another one of the same day",
                                  "merge them", Severity.warning)
        country, region = _text(hours, "holidays"), _text(hours, "holidays_region")
        supported = holidays.list_supported_countries()
        if country is not None and (len(country) != 2 or country not in supported):
            self.c.report((*path, "holidays"), f"no holiday calendar for country '{country}'",
                          _close(country, {c for c in supported if len(c) == 2})
                          or "use an ISO 3166 alpha-2 code such as PL")
        elif region is not None and country is None:
            self.c.report((*path, "holidays_region"), "holidays_region needs 'holidays:' (the country)")
        elif country is not None and region is not None and region not in supported[country]:
            regions = supported[country]
            self.c.report((*path, "holidays_region"), f"'{region}' is not a region of {country}",
                          ("known: " + ", ".join(regions[:20])) if regions else f"{country} has no regions")
        for index, text in enumerate(hours.get("closed_dates") or []):
            try:
                date.fromisoformat(str(text))
            except ValueError:
                self.c.report((*path, "closed_dates", index), f"'{text}' is not a date",
                              "write dates as YYYY-MM-DD")

    def collect(self) -> None:
        """The tenant's names, checked unique, before anything refers to them."""
        for index, skill in _items(self.t, "skills"):
            name = _text(skill, "name")
            if name:
                self.c.unique(self.skills, name, (*self.path, "skills", index, "name"), "skill")
        for index, queue in _items(self.t, "queues"):
            name = _text(queue, "name")
            if name:
                self.c.unique(self.queues, name, (*self.path, "queues", index, "name"), "queue")
        for index, agent in _items(self.t, "agents"):
            extension = _text(agent, "extension")
            if extension:
                self.c.unique(self.extensions, extension, (*self.path, "agents", index, "extension"),
                              "extension")
        for index, user in _items(self.t, "users"):
            path = (*self.path, "users", index)
            self.c.user(user, path)
            username = _text(user, "username")
            if username:
                self.users.setdefault(username, (path, _text(user, "role")))

    def refer(self, name: str, known: dict[str, Any], path: DocPath, what: str, where: str,
              *, key: bool = False) -> bool:
        """Whether ``name`` is one of ``known``; reports it (with a near miss, if any) when not."""
        if name in known:
            return True
        self.c.report(path, f"unknown {what} '{name}'",
                      _close(name, known) or f"define it under this tenant's '{where}:' first", key=key)
        return False

    def phone_number(self, number: dict[str, Any], path: DocPath) -> None:
        text = _text(number, "number")
        if text:
            self.c.number(text, (*path, "number"))
            if text in self.extensions:
                self.c.report((*path, "number"), f"number '{text}' is also an agent extension",
                              "dialing it would be ambiguous: pick another number")
        self.zone(_text(number, "time_zone"), (*path, "time_zone"))
        hours = _text(number, "hours")
        if hours is not None:
            self.refer(hours, self.hours, (*path, "hours"), "business-hours set", "business_hours")
        route = number.get("route")
        if not isinstance(route, dict):
            return
        kind, target = _text(route, "kind"), route.get("target")
        target_path = (*path, "route", "target")
        if kind in ("queue", "agent", "ivr") and not target:
            what = {"queue": "a queue name", "agent": "an extension", "ivr": "the IVR flow name"}[kind]
            self.c.report((*path, "route"), f"a '{kind}' route needs a target", f"add 'target:' with {what}")
        elif kind == "queue" and isinstance(target, str):
            self.refer(target, self.queues, target_path, "queue", "queues")
        elif kind == "ivr" and isinstance(target, str):
            self.refer(target, self.flow_section, target_path, "IVR flow", "flows")
        elif kind == "agent" and isinstance(target, str):
            self.refer(target, self.extensions, target_path, "agent extension", "agents")
        elif kind == "echo" and target:
            self.c.report(target_path, "an echo route takes no target", "delete 'target:'", Severity.warning)

    def queue(self, queue: dict[str, Any], path: DocPath) -> None:
        required = _mapping(queue, "skills")
        for skill in required:
            self.refer(skill, self.skills, (*path, "skills", skill), "skill", "skills", key=True)
        self.language(_text(queue, "language"), (*path, "language"))
        self.recording(_text(queue, "recording"), (*path, "recording"))
        name, previous = _text(queue, "name"), -1.0
        for index, step in _items(queue, "steps"):
            step_path = (*path, "steps", index)
            after = step.get("after")
            if isinstance(after, int | float):
                if after <= previous:
                    self.c.report((*step_path, "after"), "wait steps must come in increasing 'after' order",
                                  "sort the steps by their waiting time")
                previous = float(after)
            target = _text(step, "overflow_to")
            if target is not None and self.refer(target, self.queues, (*step_path, "overflow_to"),
                                                 "queue", "queues") and target == name:
                self.c.report((*step_path, "overflow_to"), "a queue cannot overflow to itself",
                              "name another queue")
            for drop_index, skill in enumerate(step.get("drop_skills") or []):
                if isinstance(skill, str) and skill not in required:
                    self.c.report((*step_path, "drop_skills", drop_index),
                                  f"'{skill}' is not a skill this queue requires",
                                  "drop only skills listed in the queue's 'skills:'")
            level = step.get("min_level")
            if isinstance(level, int) and not 1 <= level <= 10:
                self.c.report((*step_path, "min_level"), f"min_level {level} is outside 1-10",
                              "skill levels go from 1 to 10")

    def agent(self, agent: dict[str, Any], path: DocPath, linked: dict[str, DocPath]) -> None:
        extension = _text(agent, "extension") or "?"
        contact = _text(agent, "contact")
        password, ha1 = agent.get("sip_password"), agent.get("sip_ha1")
        if password is None and ha1 is None and contact is None:
            self.c.report(path, f"agent {extension} has neither 'sip_password' nor 'contact' nor 'sip_ha1'",
                          "add 'sip_password:' (the phone registers), 'sip_ha1:' (its digest hashes, as "
                          "'config export' writes them) or 'contact: sip:...' (a fixed phone)")
        elif password is not None and ha1 is not None:
            self.c.report((*path, "sip_ha1"), f"agent {extension} has both 'sip_password' and 'sip_ha1'",
                          "keep only one: apply makes the hashes from the password")
        if isinstance(ha1, dict):
            self.sip_ha1(ha1, (*path, "sip_ha1"), extension)
        if contact is not None and not contact.startswith(("sip:", "sips:")):
            self.c.report((*path, "contact"), f"'{contact}' is not a SIP URI",
                          "write it as sip:user@host[:port]")
        languages = agent.get("languages")
        for index, code in enumerate(languages if isinstance(languages, list) else []):
            if isinstance(code, str):
                self.language(code, (*path, "languages", index))
        skills = agent.get("skills")
        for index, skill in enumerate(skills if isinstance(skills, list) else []):
            entry_path: DocPath = (*path, "skills", index)
            name = skill if isinstance(skill, str) else _text(skill, "name")
            if isinstance(skill, dict):
                entry_path = (*entry_path, "name")
            if name:
                self.refer(name, self.skills, entry_path, "skill", "skills")
        queues = agent.get("queues")
        for index, member in enumerate(queues if isinstance(queues, list) else []):
            entry_path = (*path, "queues", index)
            name = member if isinstance(member, str) else _text(member, "queue")
            if isinstance(member, dict):
                entry_path = (*entry_path, "queue")
            if name:
                self.refer(name, self.queues, entry_path, "queue", "queues")
        username = _text(agent, "user")
        if username is None:
            return
        user_path = (*path, "user")
        if self.refer(username, self.users, user_path, "user", "users"):
            role = self.users[username][1]
            if role is not None and role != "agent":
                self.c.report(user_path, f"user '{username}' has role '{role}', not 'agent'",
                              "link agents to users whose role is agent")
            if username in linked:
                self.c.report(user_path, f"user '{username}' is already linked to another agent "
                              f"({self.c.where(linked[username])})", "one user logs in as one agent")
            else:
                linked[username] = user_path

    def sip_ha1(self, ha1: dict[str, Any], path: DocPath, extension: str) -> None:
        """HA1s of the right length and case, made for the realm this tenant's phones will use."""
        self.c.ha1(ha1, path, f"agent {extension}", "sip_password")
        realm = _text(ha1, "realm")
        if realm is not None and self.realm is not None and realm != self.realm:
            self.c.report((*path, "realm"), f"the HA1s of agent {extension} were made for realm '{realm}', "
                          f"but this tenant's realm is '{self.realm}': the phone cannot register",
                          "give 'sip_password:' again (an HA1 is bound to its realm), or set the tenant's "
                          f"'sip_domain: {realm}'", Severity.warning)

    def flows(self) -> None:
        """The IVR loader's problems of each flow, then what the flows name in this tenant."""
        root = (*self.path, "flows")
        for name, body in self.flow_section.items():
            if not _NAME.match(name):
                self.c.report((*root, name), f"'{name}' is not a valid flow name",
                              "names use lowercase letters, digits, '_', '.' and '-'", key=True)
            languages = body.get("languages") if isinstance(body, dict) else None
            for index, code in enumerate(languages if isinstance(languages, list) else []):
                if isinstance(code, str):
                    self.language(code, (*root, name, "languages", index))
        _, problems, references = load_tenant_flows(self.flow_section, root, self.c.positions,
                                                    self.c.filename)
        self.c.problems.extend(problems)
        defined: dict[str, tuple[dict[str, Any], str, str]] = {
            "queue": (self.queues, "queue", "queues"), "skill": (self.skills, "skill", "skills"),
            "hours": (self.hours, "business-hours set", "business_hours"),
        }
        for ref in references:
            if ref.kind in defined:
                known, what, where = defined[ref.kind]
                self.refer(ref.name, known, ref.path, what, where, key=ref.kind == "skill")
            elif ref.kind == "transfer":
                wrong = transfer_target_problem(ref.name)
                if wrong is not None:
                    self.c.report(ref.path, *wrong)
