"""The test center of the dial plan tests: three agents, a queue, a ring-all queue, an IVR, echo."""

from __future__ import annotations

import random

from dialplan_driver import Phone, Switch

from centralino import config
from centralino.dialplan import AgentLogin, DialPlan

CONFIG = """\
version: 1
tenants:
  - name: t
    country: PL
    time_zone: Europe/Warsaw
    language: en
    numbers:
      - {number: "200", route: {kind: queue, target: support}}
      - {number: "300", route: {kind: queue, target: sales}}
      - {number: "400", route: {kind: ivr, target: waiting}}
      - {number: "600", route: {kind: echo}}
      - {number: "700", route: {kind: agent, target: "1002"}}
    skills:
      - {name: support}
      - {name: sales}
    queues:
      - {name: support, skills: {support: 1}, join_when_empty: true, wrapup: 10, announce_every: 30}
      - {name: sales, strategy: ring-all, skills: {sales: 1}, join_when_empty: true, wrapup: 5}
    agents:
      - {extension: "1001", name: A, sip_password: pw1001, languages: [pl, en], skills: [support],
         queues: [support]}
      - {extension: "1002", name: B, sip_password: pw1002, languages: [en], skills: [support, sales],
         queues: [support, sales]}
      - {extension: "1003", name: C, sip_password: pw1003, languages: [en], skills: [sales, support],
         queues: [sales, support]}
    flows:
      waiting:
        languages: [en]
        nodes:
          answer: {type: answer, next: queue}
          queue:
            type: enqueue
            queue: support
            callback: {after: 10, prompt: [offer], accepted: thanks}
            after_call: survey
          thanks: {type: hangup, prompt: [bye]}
          survey:
            type: survey
            name: s
            questions: [{id: q1, prompt: [rate], keys: "12345"}]
        prompts:
          offer: {en: "Press 1 for a callback"}
          bye: {en: "We will call you back"}
          rate: {en: "Rate us"}
"""


def switch(*agents: str, phones: dict[str, Phone] | None = None, seed: int = 7) -> Switch:
    """A switch over a fresh dial plan of CONFIG with ``agents`` logged in."""
    plan = DialPlan(config.loads(CONFIG, "test.yaml"), rng=random.Random(seed))
    sw = Switch(plan, phones=dict(phones or {}))
    for agent in agents:
        sw.feed(AgentLogin(at=sw.now, agent=agent))
    return sw
