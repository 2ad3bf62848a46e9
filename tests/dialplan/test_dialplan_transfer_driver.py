"""The fake switch of ``dialplan_driver`` with what transfers need, and a check of its own.

What a real switch and media engine do that the plain driver leaves out: a ``Bridge`` moves a
leg away from its old partner (the media engine unbridges it), a consultation leg may be
bridged while it still rings (the agent hears the target's phone), and ``MixConference``
mixes three up legs until one of them ends. ``check`` adds to the plan's audit that bridges
are mutual, so a caller is never bridged to two agents at once; only a mix joins three.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from dialplan_driver import Switch
from dialplan_fixtures import CONFIG

from centralino import config
from centralino.calls.commands import Bridge, Command, Ring
from centralino.dialplan import AgentLogin, DialPlan, MixConference

__all__ = ["TransferSwitch", "transfer_switch"]


@dataclass
class TransferSwitch(Switch):
    mixes: list[set[str]] = field(default_factory=list)  # live three-way mixes
    mixed: list[tuple[str, str, str]] = field(default_factory=list)  # every mix asked for

    def _perform(self, outputs: list[Any]) -> None:
        for out in outputs:
            if isinstance(out, MixConference):
                assert all(self.legs[leg].state == "up" for leg in out.legs), f"mix of legs not up: {out}"
                self.mixes = [m for m in self.mixes if not m & set(out.legs)]
                self.mixes.append(set(out.legs))
                self.mixed.append(out.legs)
        super()._perform(outputs)

    def _command(self, cmd: Command) -> None:
        if isinstance(cmd, Bridge) and cmd.leg in self.legs and cmd.other in self.legs:
            a, b = self.legs[cmd.leg], self.legs[cmd.other]
            for leg in (a, b):
                old = leg.bridged
                if old is not None and old not in (a.id, b.id) and self.legs[old].bridged == leg.id:
                    self.legs[old].bridged = None
            self.mixes = [m for m in self.mixes if not m & {a.id, b.id}]
            if a.state == "up" and b.state == "ringing":  # a consultation: bridged while it rings
                a.bridged, b.bridged, a.playing = b.id, a.id, None
                self.commands.append(cmd)
                self.bridges.append((a.id, b.id))
                return
        super()._command(cmd)

    def _end(self, leg_id: str, by: str) -> None:
        self.mixes = [m for m in self.mixes if leg_id not in m]  # the engine drops a mix a party left
        super()._end(leg_id, by)

    def check(self) -> None:
        super().check()
        for leg in self.legs.values():
            if leg.state != "up" or leg.bridged is None:
                continue
            other = self.legs[leg.bridged]
            if other.state == "ended":
                continue  # its hang-up is being reported
            assert other.bridged == leg.id, f"{leg.id} bridged to {other.id}, bridged to {other.bridged}"

    def hears(self, leg_id: str) -> set[str]:
        """The up legs ``leg_id`` talks to now: the other two of a mix, else its bridge partner."""
        for mix in self.mixes:
            if leg_id in mix:
                return mix - {leg_id}
        leg = self.legs[leg_id]
        if leg.bridged is not None and self.legs[leg.bridged].state == "up":
            return {leg.bridged}
        return set()


def transfer_switch(*agents: str, seed: int = 7) -> TransferSwitch:
    plan = DialPlan(config.loads(CONFIG, "test.yaml"), rng=random.Random(seed))
    sw = TransferSwitch(plan)
    for agent in agents:
        sw.feed(AgentLogin(at=sw.now, agent=agent))
    return sw


def test_a_bridge_moves_a_leg_from_its_old_partner() -> None:
    sw = transfer_switch("1001")
    sw.call("c1", "200")
    sw.advance(3)
    [agent] = sw.agent_legs("1001")
    assert sw.hears("c1") == {agent.id}
    sw._command(Ring(leg="x", target="555"))
    sw._command(Bridge(leg=agent.id, other="x"))  # consultation while it rings
    assert sw.hears("c1") == set() and sw.legs[agent.id].bridged == "x"
