"""Checks spanning a flow's nodes: the graph, the prompts, the loops.

- Dangling targets (a ``next`` naming no node) are errors, with the closest node id.
- Nodes not reachable from ``start`` are warnings: harmless, but usually a forgotten edge.
- A cycle made only of nodes that do not wait (``set``, ``branch``, ``goto``...) would spin
  the interpreter: an error. A cycle that waits only for prompts to finish, never for the
  caller, would replay forever: a warning.
- Every prompt a node plays must exist for every language the flow offers (a language
  menu's prompts only in their own choice's language), and every language a ``language``
  node offers must be one of the flow's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from centralino.ivr.flow import (
    Callback,
    Enqueue,
    Flow,
    Hours,
    Language,
    Say,
    Set,
    Subflow,
    Transfer,
    Voicemail,
)
from centralino.ivr.problems import Path, Reporter, suggest

__all__ = ["Reference", "check_flow", "check_subflows", "find_cycles", "references"]


def check_flow(flow: Flow, path: Path, report: Reporter, declared: list[str] | None = None) -> None:
    """``declared``: every node id written, including nodes that failed to load.

    A target naming a node that is written but broken is not dangling (the broken node has
    its own problem), and reachability is only judged when every node loaded.
    """
    nodes_path = path + ("nodes",)
    ids = declared if declared is not None else list(flow.nodes)
    edges: dict[str, list[str]] = {}
    for node in flow.nodes.values():
        edges[node.id] = []
        for field_path, target in node.targets():
            if target in flow.nodes:
                edges[node.id].append(target)
            elif target not in ids:
                report.add(nodes_path + (node.id,) + field_path,
                           f"{node.kind} node {node.id!r} goes to {target!r}, which is not a node of "
                           f"flow {flow.name!r}", suggest(target, ids) or f"nodes: {', '.join(ids)}")
    if set(ids) == set(flow.nodes):
        _check_reachable(flow, edges, nodes_path, report)
    _check_loops(flow, edges, nodes_path, report)
    _check_prompts(flow, path, report)


def _check_reachable(flow: Flow, edges: Mapping[str, list[str]], nodes_path: Path, report: Reporter) -> None:
    if flow.start not in flow.nodes:
        return
    seen = {flow.start}
    todo = [flow.start]
    while todo:
        for target in edges.get(todo.pop(), []):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    for node_id in flow.nodes:
        if node_id not in seen:
            report.add(nodes_path + (node_id,), f"node {node_id!r} cannot be reached from start "
                       f"{flow.start!r}", "link it from another node or remove it", severity="warning")


def find_cycles(edges: Mapping[str, list[str]], keep: Callable[[str], bool]) -> list[list[str]]:
    """Distinct cycles among the nodes ``keep`` selects, found without recursion.

    Nodes with no successor inside the subset are pruned until none is left; every remaining
    node then leads into a cycle, which a walk along remaining successors finds.
    """
    succ = {n: [t for t in ts if keep(t)] for n, ts in edges.items() if keep(n)}
    alive = set(succ)
    changed = True
    while changed:
        changed = False
        for n in list(alive):
            if not any(t in alive for t in succ[n]):
                alive.discard(n)
                changed = True
    cycles: list[list[str]] = []
    reported: set[str] = set()
    for origin in sorted(alive):
        if origin in reported:
            continue
        walk: list[str] = []
        index: dict[str, int] = {}
        node = origin
        while node not in index:
            index[node] = len(walk)
            walk.append(node)
            node = next(t for t in succ[node] if t in alive)
        cycle = walk[index[node]:]
        if not reported.intersection(cycle):
            cycles.append(cycle)
        reported.update(walk)
    return cycles


def _check_loops(flow: Flow, edges: Mapping[str, list[str]], nodes_path: Path, report: Reporter) -> None:
    nodes = flow.nodes
    spinning = find_cycles(edges, lambda n: n in nodes and not nodes[n].waits)
    for cycle in spinning:
        report.add(nodes_path + (cycle[0],), "loop that never waits: " + " -> ".join(cycle + cycle[:1]),
                   "put a menu, collect or play node in the loop, or end it")
    in_spin = {n for c in spinning for n in c}
    for cycle in find_cycles(edges, lambda n: n in nodes and not nodes[n].takes_input):
        if in_spin.intersection(cycle):
            continue
        report.add(nodes_path + (cycle[0],), "loop that never waits for the caller: "
                   + " -> ".join(cycle + cycle[:1]), "callers would hear it forever; add a menu or an exit",
                   severity="warning")


def _check_prompts(flow: Flow, path: Path, report: Reporter) -> None:
    names = list(flow.prompts)
    for node in flow.nodes.values():
        if isinstance(node, Language):
            if node.default is not None and node.default not in flow.languages:
                report.add(path + ("nodes", node.id, "default"),
                           f"default language {node.default!r} is not offered by flow {flow.name!r}",
                           f"one of: {', '.join(flow.languages)}")
            for key, language in node.choices.items():
                if language not in flow.languages:
                    report.add(path + ("nodes", node.id, "choices", key),
                               f"language {language!r} is not offered by flow {flow.name!r}",
                               f"add it to languages: [{', '.join(flow.languages)}]")
        missing_by_prompt: dict[tuple[Path, str], list[str]] = {}
        for field_path, item, only_language in node.prompts():
            if isinstance(item, Say):
                continue
            where = path + ("nodes", node.id) + field_path
            if item not in flow.prompts:
                report.add(where, f"{node.kind} node {node.id!r} plays prompt {item!r}, which is not in "
                           f"the prompts of flow {flow.name!r}", suggest(item, names))
                continue
            texts = flow.prompts[item]
            if only_language is not None and only_language not in flow.languages:
                continue  # reported above
            wanted = flow.languages if only_language is None else (only_language,)
            for lang in wanted:
                if lang not in texts and "*" not in texts:
                    missing_by_prompt.setdefault((where, item), []).append(lang)
        for (where, item), langs in missing_by_prompt.items():
            report.add(where, f"prompt {item!r} has no text in {', '.join(langs)}, a language flow "
                       f"{flow.name!r} offers", f"add {langs[0]}: \"...\" under prompts.{item}")


def check_subflows(flows: Mapping[str, Flow], paths: Mapping[str, Path], report: Reporter) -> None:
    for flow in flows.values():
        for node in flow.nodes.values():
            if isinstance(node, Subflow) and node.flow not in flows:
                report.add(paths[flow.name] + ("nodes", node.id, "flow"),
                           f"subflow node {node.id!r} runs flow {node.flow!r}, which does not exist",
                           suggest(node.flow, list(flows)))


@dataclass(frozen=True, slots=True)
class Reference:
    """A name a flow uses that the rest of the configuration must define."""

    kind: str  # queue, hours, mailbox, skill, transfer
    name: str
    path: Path  # within the document, for the config loader's problem


def references(flows: Mapping[str, Flow], paths: Mapping[str, Path]) -> list[Reference]:
    """Queues, business-hours sets, mailboxes, skills and transfer targets the flows name.

    The configuration loader checks them against the tenant (``enqueue queue 'supprt' does
    not exist``) with the line this path gives; the IVR cannot, as it sees only its section.
    """
    out: list[Reference] = []
    for flow in flows.values():
        base = paths.get(flow.name, ("flows", flow.name)) + ("nodes",)
        for node in flow.nodes.values():
            here = base + (node.id,)
            if isinstance(node, Enqueue | Callback) and node.queue:
                out.append(Reference("queue", node.queue, here + ("queue",)))
            if isinstance(node, Enqueue | Set) and node.skills:
                out.extend(Reference("skill", s, here + ("skills", s)) for s in node.skills)
            if isinstance(node, Hours) and node.hours:
                out.append(Reference("hours", node.hours, here + ("hours",)))
            if isinstance(node, Voicemail):
                out.append(Reference("mailbox", node.mailbox, here + ("mailbox",)))
            if isinstance(node, Transfer):
                out.append(Reference("transfer", node.target, here + ("target",)))
    return out
