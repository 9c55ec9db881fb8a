"""A picture of the access: accounts, roles, trust arrows (with their conditions in short),
consumers, and the tables and keys each role reaches with which access.

Drawn from the same model ``check`` proves things on: the rendered templates read by
:mod:`access.templates` and the access matrix of :mod:`access.matrix` (what each consumer's
role may actually do, through the role it assumes), not from the config's wishes. Output as
Mermaid (renders in pull requests and READMEs) or DOT (graphviz). Deterministic.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from xacct_infra.config import Config

Format = Literal["mermaid", "dot"]
READ, WRITE = "dynamodb:GetItem", "dynamodb:PutItem"
DECRYPT, ENCRYPT = "kms:Decrypt", "kms:Encrypt"


@dataclass
class Graph:
    clusters: dict[str, str] = field(default_factory=dict)  # cluster id -> title
    nodes: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # node id -> (cluster, label, shape)
    edges: dict[tuple[str, str], str] = field(default_factory=dict)  # (from, to) -> label


def _id(*parts: str) -> str:
    return "_".join(re.sub(r"[^A-Za-z0-9]+", "_", p) for p in parts).strip("_")


def _short(value: Any) -> str:
    """An ARN as its resource part (``role/xacct-instance``); lists joined."""
    if isinstance(value, list):
        return " or ".join(_short(v) for v in value)
    text = str(value)
    return text.split(":", 5)[5] if text.startswith("arn:") and text.count(":") >= 5 else text


def conditions(trust: Mapping[str, Any]) -> str:
    """The trust policy's Allow conditions in short: ``PrincipalArn = role/xacct-instance``."""
    parts: list[str] = []
    statements = trust.get("Statement", [])
    for st in statements if isinstance(statements, list) else [statements]:
        if st.get("Effect") != "Allow":
            continue
        for operator, block in sorted((st.get("Condition") or {}).items()):
            sign = "like" if "Like" in operator else "=" if "Equals" in operator else operator
            for key, value in sorted(block.items()):
                text = f"{key.split(':', 1)[-1]} {sign} {_short(value)}"
                if text not in parts:
                    parts.append(text)
    return ", ".join(parts)


def _level(actions: set[str], read: str, write: str, names: tuple[str, str]) -> str:
    has = (read in actions, write in actions)
    return {(True, True): f"{names[0]}-{names[1]}", (True, False): names[0], (False, True): names[1]}.get(has, "describe")


def build(config: Config, files: Mapping[str, dict[str, Any]] | None = None) -> Graph:
    """The picture of ``files``, the rendered templates by stem (default: the config's own, as ``check``
    renders them): what the templates grant, not what the config says."""
    from xacct_infra import check
    from xacct_infra.access import matrix
    from xacct_infra.access import templates as tpl

    a = config.account_a
    graph = Graph()
    owner = _id("account", a.id)
    graph.clusters[owner] = f"Account A {a.id} (owner)"
    files, stems = (check.rendered_files(config) if files is None else files), check.layout(config)
    for consumer in config.consumers:
        view = config.view_of(consumer)
        ts = tpl.load({"a": files["account-a"], "b": files[stems[consumer.name]]}, view, a.partition)
        sweep = matrix.sweep(view, ts)
        cluster = _id("account", consumer.id)
        graph.clusters.setdefault(cluster, f"Account B {consumer.id} (consumer)")
        me = _id("consumer", consumer.name)
        graph.nodes[me] = (cluster, f"{consumer.name}: {consumer.spec.label} {consumer.role_name}", "box")
        grants = sweep.matrix.get(matrix.consumer_label(consumer), [])
        reached: dict[tuple[str, str], set[str]] = {}
        for grant in grants:
            if grant.action.lower() == "sts:assumerole" and not grant.via:
                role = ts.role("a", grant.resource)
                if role is None:
                    continue
                node = _id("role", role.name)
                graph.nodes[node] = (owner, f"role {role.name}", "box")
                graph.edges[(me, node)] = " ".join(x for x in ("assumes", conditions(role.trust.document) and "if " +
                                                                 conditions(role.trust.document)) if x)
            elif grant.via:
                reached.setdefault((grant.via.split(" -> ")[-1], grant.resource), set()).add(grant.action)
        _resources(graph, ts, owner, reached)
    return graph


def _resources(graph: Graph, ts: Any, owner: str, reached: Mapping[tuple[str, str], set[str]]) -> None:
    by_logical = {r.logical_id: r for r in ts.roles if r.side == "a"}
    merged: dict[tuple[str, str, str], set[str]] = {}
    for (via, resource), actions in reached.items():
        role = by_logical.get(via)
        kind, _, rest = resource.split(":", 5)[-1].partition("/")
        if role is None or kind not in ("table", "key"):
            continue
        name = rest.split("/")[0]  # an index of a table is the table
        merged.setdefault((role.name, kind, name), set()).update(actions)
    for (role_name, kind, name), actions in sorted(merged.items()):
        node = _id(kind, name)
        if kind == "table":
            graph.nodes[node] = (owner, f"table {name}", "cylinder")
            label = _level(actions, READ, WRITE, ("read", "write"))
        else:
            graph.nodes[node] = (owner, f"key {name[:8]}…", "key")
            label = _level(actions, DECRYPT, ENCRYPT, ("decrypt", "encrypt"))
            label = "encrypt-decrypt" if label == "decrypt-encrypt" else label
        graph.edges[(_id("role", role_name), node)] = label


def _quote(text: str) -> str:
    return text.replace('"', "#quot;")


def mermaid(graph: Graph) -> str:
    shapes = {"box": ('["', '"]'), "cylinder": ('[("', '")]'), "key": ('[["', '"]]')}
    out = ["flowchart LR"]
    for cluster, title in graph.clusters.items():
        out.append(f'  subgraph {cluster}["{_quote(title)}"]')
        for node, (where, label, shape) in graph.nodes.items():
            if where == cluster:
                left, right = shapes[shape]
                out.append(f"    {node}{left}{_quote(label)}{right}")
        out.append("  end")
    out += [f'  {src} -->|"{_quote(label)}"| {dst}' for (src, dst), label in graph.edges.items()]
    return "\n".join(out) + "\n"


def dot(graph: Graph) -> str:
    shapes = {"box": "box", "cylinder": "cylinder", "key": "component"}

    def q(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    out = ["digraph xacct {", "  rankdir=LR;", "  node [fontname=Helvetica];"]
    for cluster, title in graph.clusters.items():
        out.append(f"  subgraph cluster_{cluster} {{")
        out.append(f"    label={q(title)};")
        out += [f"    {node} [label={q(label)}, shape={shapes[shape]}];" for node, (where, label, shape) in graph.nodes.items()
                if where == cluster]
        out.append("  }")
    out += [f"  {src} -> {dst} [label={q(label)}];" for (src, dst), label in graph.edges.items()]
    return "\n".join([*out, "}"]) + "\n"


def render(config: Config, fmt: Format = "mermaid") -> str:
    graph = build(config)
    return mermaid(graph) if fmt == "mermaid" else dot(graph)


def edges(graph: Graph) -> Iterable[tuple[str, str, str]]:
    """(from label, to label, edge label), for tests and tools."""
    for (src, dst), label in graph.edges.items():
        yield graph.nodes[src][1], graph.nodes[dst][1], label
