"""IVR flows in the configuration file: loaded by the IVR package, located and checked here.

A tenant's ``flows:`` section is kept as plain data by the schema (``Tenant.flows``): the IVR
loader (``centralino.ivr.load_flows``) validates flow bodies itself, node by node, and knows
the node language far better than a pydantic model of it could. This module gives that loader
a ``locate`` callback over the file's positions, so its problems carry file:line:column like
every other problem of the file, and checks what only the whole tenant can tell: whether the
queues, skills and business-hours sets a flow names exist, and whether a transfer target is
something a call can be transferred to. The rules (``centralino.config.rules``) call it per
tenant; ``tenant_flows`` gives the server the ``Flow`` objects to run sessions with.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from centralino.config.model import CenterConfig, Tenant
from centralino.config.numbers import classify_number
from centralino.config.source import DocPath, Positions
from centralino.core.errors import ConfigError, NotFound, Problem
from centralino.ivr import Flow, Locate, Reference, load_flows, references

__all__ = ["load_tenant_flows", "locator", "tenant_flows", "transfer_target_problem"]


def locator(positions: Positions) -> Locate:
    """``locate(path)`` for the IVR loader: the value's line:column, else its nearest ancestor's.

    A mapping or list written as a block starts on the line after its key (``menu:`` then
    ``type: menu`` below); problems about such a value (an unreachable node, a loop) point at
    its key instead, the line a reader looks for.
    """

    def locate(path: DocPath) -> tuple[int, int] | None:
        if path not in positions.values and any(isinstance(p, int) for p in path):
            as_text = tuple(str(p) for p in path)  # a numeric mapping key given as int
            if as_text in positions.values:
                path = as_text
        while path and path not in positions.values:
            path = path[:-1]
        if path not in positions.values:
            return None
        value = positions.values[path]
        key = positions.keys.get(path)
        return key if key is not None and key[0] < value[0] else value

    return locate


def load_tenant_flows(section: Any, root: DocPath, positions: Positions | None = None,
                      filename: str | None = None) -> tuple[dict[str, Flow], list[Problem], list[Reference]]:
    """Flows of one tenant's ``flows:`` value (at ``root``), their problems and what they refer to."""
    if not isinstance(section, Mapping):  # the schema check reports a section of the wrong shape
        return {}, [], []
    locate = locator(positions) if positions is not None else None
    flows, problems = load_flows(section, locate, filename, root=root)
    refs = references(flows, {name: (*root, name) for name in flows})
    return flows, problems, refs


def transfer_target_problem(target: str) -> tuple[str, str] | None:
    """(message, hint) when ``target`` is not a number or SIP URI a call can be sent to."""
    scheme, _, rest = target.partition(":")
    if scheme in ("sip", "sips"):
        return None if rest.strip() else (f"'{target}' is an empty SIP URI", "write sip:user@host")
    if target.startswith("+"):
        if classify_number(target).valid:
            return None
        return (f"'{target}' is not a valid phone number", "check the country code and the number of digits")
    if target.isdigit() and 2 <= len(target) <= 8:
        return None
    return (f"cannot transfer to '{target}'",
            "write an E.164 number (+48221234567), an internal number of 2-8 digits, or a sip: URI")


def tenant_flows(config: CenterConfig, tenant: Tenant | str) -> dict[str, Flow]:
    """The IVR flows of a tenant, by name, ready for ``centralino.ivr.Session``.

    A config from ``load``/``loads`` always succeeds here (the file was checked). A config
    built in code may carry broken flows: then ``ConfigError`` lists them (paths, no lines).
    Loading takes about a millisecond for the demo flow; the server loads once per config.
    """
    name = tenant.name if isinstance(tenant, Tenant) else tenant
    for index, candidate in enumerate(config.tenants):
        if candidate.name == name:
            flows, problems, _ = load_tenant_flows(candidate.flows, ("tenants", index, "flows"))
            errors = [p for p in problems if p.severity != "warning"]
            if errors:
                raise ConfigError(problems=errors)
            return flows
    raise NotFound(f"tenant '{name}' is not in the configuration")
