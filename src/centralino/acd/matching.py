"""Matching: which agent gets a contact, and which contact a freed agent takes.

Pools (``centralino.acd.pools``) index the eligible available agents of one
queue and requirement set by the strategy's key (``strategies``). A contact that
wants an agent peeks its pool's agent heap (``_wait``); an agent coming free
peeks the contact heads of its pools and takes the smallest place in line plus
its penalty for that queue (``_agent_free``). Neither scans all agents.
"""

from __future__ import annotations

import heapq

from centralino.acd.agent_states import WORKING
from centralino.acd.model import Contact, Requirements, Strategy
from centralino.acd.pools import AgentRuntime, ContactRuntime, Pool, QueueRuntime
from centralino.acd.state import AVAILABLE, WAITING, EngineState
from centralino.acd.strategies import agent_key, describe


class Matching(EngineState):
    """Pools, strategies and the two matching moves (a part of ``Engine``)."""

    def _key(self, arrived: float, priority: int, q: QueueRuntime) -> float:
        return arrived - self.settings.priority_aging * (priority + q.spec.priority)

    def _pool(self, q: QueueRuntime, req: Requirements) -> Pool:
        sig = req.signature()
        pool = q.pools.get(sig)
        if pool is None:
            pool = q.pools[sig] = Pool(q, req)
            for a in q.members.values():
                if a.spec.satisfies(req):
                    self._link(a, pool)
                    if a.state is AVAILABLE:
                        pool.push_agent(self._agent_key(a, q), a)
        return pool

    def _link(self, a: AgentRuntime, pool: Pool) -> None:
        pool.eligible.add(a.id)
        a.pools.append(pool)
        a.pool_bias.append(a.spec.queues.get(pool.queue.name, 0) * self.settings.penalty_weight)
        if a.state in WORKING:
            pool.working += 1

    def _agent_key(self, a: AgentRuntime, q: QueueRuntime) -> tuple[float, float, str]:
        return agent_key(q.spec.strategy, a.stats, a.spec.queues.get(q.name, 0), q.rr_last.get(a.id, -1.0),
                         self._rng)

    def _widest(self, c: ContactRuntime) -> Requirements:
        """The requirements after every remaining widening step (memoized: specs never change)."""
        key = (c.queue.name, c.requirements.signature(), c.step)
        req = self._widest_memo.get(key)
        if req is None:
            req = c.requirements
            for step in c.queue.spec.steps[c.step:]:
                if step.overflow_to is None:
                    req = req.widened(step)
            self._widest_memo[key] = req
        return req

    def _base_requirements(self, q: QueueRuntime, contact: Contact) -> Requirements:
        key = (q.name, contact.requirements.signature())
        req = self._merge_memo.get(key)
        if req is None:
            req = self._merge_memo[key] = q.spec.requirements.merged(contact.requirements)
        return req

    def _staffed(self, c: ContactRuntime) -> bool:
        return self._pool(c.queue, self._widest(c)).working > 0

    def _agent_free(self, a: AgentRuntime, now: float) -> None:
        """An agent became available: take the best waiting contact of its pools, or wait in them."""
        best: tuple[float, int] | None = None
        chosen: ContactRuntime | None = None
        me = a.id
        c: ContactRuntime | None
        for pool, bias in zip(a.pools, a.pool_bias, strict=True):
            heap = pool.contacts
            if not heap:
                continue
            _, _, gen, c = heap[0]
            if c.gen != gen or c.state is not WAITING or c.pool is not pool:
                c = pool.head_contact()
                if c is None:
                    continue
            if c.declined and me in c.declined:
                c = next((x for x in sorted(pool.waiting_contacts(), key=lambda x: (x.key, x.seq))
                          if not (x.declined and a.id in x.declined)), None)
                if c is None:
                    continue
            score = (c.key + bias, c.seq)
            if best is None or score < best:
                best, chosen = score, c
        if chosen is not None:
            score_text = f"{best[0]:.6g}" if best else "?"
            why = f"agent {a.id} came free; longest-waiting eligible contact across {len(a.pools)} pools"
            self._offer(chosen, [a], now, (a.id,), f"{why} (score {score_text})")
            return
        keys: dict[str, tuple[float, float, str]] = {}
        for pool in a.pools:
            q = pool.queue
            key = keys.get(q.name)
            if key is None:
                key = keys[q.name] = self._agent_key(a, q)
            pool.push_agent(key, a)

    def _wait(self, c: ContactRuntime, now: float) -> None:
        """The contact wants an agent: offer it now or put it in its pool's line."""
        q = c.queue
        if c.state is not WAITING:
            c.state = WAITING
            q.line_add(c)
        c.gen += 1
        pool = self._pool(q, c.requirements)
        heap = pool.agents
        strategy = q.spec.strategy
        limit = q.spec.ring_all_limit if strategy is Strategy.ring_all and c.callback is None else 1
        declined = c.declined
        chosen: list[AgentRuntime] = []
        skipped = []
        first_key = None
        while heap and len(chosen) < limit:
            entry = heap[0]
            key, version, a = entry
            if version != a.version or a.state is not AVAILABLE:
                heapq.heappop(heap)
                continue
            if declined and a.id in declined:
                skipped.append(heapq.heappop(heap))
                continue
            if first_key is not None and key[0] != first_key[0]:
                break
            heapq.heappop(heap)
            chosen.append(a)
            if first_key is None:
                first_key = key
        for entry in skipped:
            heapq.heappush(heap, entry)
        if chosen and first_key is not None:
            candidates = tuple(a.id for a in chosen) + tuple(f"{e[2].id}:declined" for e in skipped)
            why = f"{describe(strategy, first_key)}; {len(pool.eligible)} eligible"
            self._offer(c, chosen, now, candidates, why)
        else:
            pool.push_contact(c)
