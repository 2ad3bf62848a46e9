"""Agent controls of the node: the desktop's and the API's login, break and logout become
``centralino.dialplan.inputs`` decided like call events; a registering phone may log its agent in
(``auto_login_on_register``); the phone an agent's offers ring on (``set_phone``)."""

from __future__ import annotations

import logging

from centralino.dialplan import AgentBreak, AgentBreakEnded, AgentLogin, AgentLogout
from centralino.runtime.node_state import NodeState
from centralino.sip.location import Binding

__all__ = ["AgentControls"]

log = logging.getLogger("centralino.runtime")


class AgentControls(NodeState):
    def login(self, tenant: str | None, extension: str) -> None:
        self.submit(AgentLogin(at=self.clock.now(), tenant=tenant, agent=extension))

    def set_break(self, tenant: str | None, extension: str, on: bool, reason: str = "break") -> None:
        now = self.clock.now()
        self.submit(AgentBreak(at=now, tenant=tenant, agent=extension, reason=reason) if on
                    else AgentBreakEnded(at=now, tenant=tenant, agent=extension))

    def logout(self, tenant: str | None, extension: str) -> None:
        self.submit(AgentLogout(at=self.clock.now(), tenant=tenant, agent=extension))

    def _registered(self, binding: Binding) -> None:
        agent = self.roster.agent_of(binding.aor)
        if agent is None or not self.settings.auto_login_on_register:
            return
        tenant, extension = agent
        if self.plan.agent_state(tenant, extension).value == "logged-out":
            log.info("agent %s of %s logged in by registration", extension, tenant)
            self.login(tenant, extension)

    def _unregistered(self, aor: str, contact: str) -> None:
        log.info("binding removed", extra={"aor": aor, "contact": contact})

    def set_phone(self, tenant: str, extension: str, phone: str | None) -> None:
        """Ring agent ``extension``'s offers on ``phone`` (an extension of the tenant); None: its own."""
        agents = {a.extension: a for t in self.config.tenants if t.name == tenant for a in t.agents}
        if extension not in agents:
            raise KeyError(f"tenant {tenant} has no agent {extension}")
        chosen = agents.get(phone or extension)
        target = (chosen.contact or chosen.extension) if chosen else str(phone)
        self.plan.desks[tenant].targets[extension] = target
