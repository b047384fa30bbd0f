"""A Markdown summary for `$GITHUB_STEP_SUMMARY` or a pull-request comment.

Counts, a table of findings, and per target a Mermaid flowchart of pools and
the advertisements that select them (GitHub renders Mermaid in place), so a
reviewer sees at a glance which pool no speaker announces.
"""

from __future__ import annotations

from typing import TextIO

from linter.announcers import Announcers, cluster_announcers, node_selectors, selected_nodes
from linter.engine import Result
from linter.finding import Severity
from linter.model import Cluster, Pool
from linter.report import ReportOptions
from linter.report.common import plural, rule_url, severity_counts

# A step summary is capped at 1 MiB and a PR comment at 65,536 characters:
# past these the table says how many rows it left out.
MAX_ROWS = 200
MAX_ENTRIES = 3  # addresses shown in a pool's box
MAX_NODES = 30  # nodes drawn per target
_ICONS = {Severity.ERROR: "🔴 error", Severity.WARNING: "🟡 warning", Severity.INFO: "🔵 info"}


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _label(text: str) -> str:
    """Text inside a Mermaid `["..."]` label: quotes and angle brackets as entities."""
    return (text.replace("&", "#amp;").replace('"', "#quot;")
            .replace("<", "#lt;").replace(">", "#gt;"))


def _pool_label(pool: Pool) -> str:
    name = f"{pool.namespace}/{pool.name}" if pool.namespace else str(pool.name)
    shown = [str(entry.raw) for entry in pool.entries[:MAX_ENTRIES]]
    if len(pool.entries) > MAX_ENTRIES:
        shown.append(f"+{len(pool.entries) - MAX_ENTRIES} more")
    lines = [_label(f"{pool.kind} {name}")] + [_label(s) for s in shown]
    return "<br/>".join(lines)


def flowchart(cluster: Cluster) -> list[str]:
    """Pools → advertisements → nodes; a dashed edge where the selection depends on unresolved
    variables, a dark box for a pool no advertisement selects and for a node no speaker announces from."""
    lines = ["```mermaid", "flowchart LR"]
    for index, pool in enumerate(cluster.pools):
        lines.append(f'  p{index}["{_pool_label(pool)}"]')
    for index, advertisement in enumerate(cluster.advertisements):
        resource = advertisement.resource
        name = f"{resource.namespace}/{resource.name}" if resource.namespace else str(resource.name)
        lines.append(f'  a{index}(["{_label(f"{resource.kind} {name}")}"])')
    dark: list[int] = []
    for p_index, pool in enumerate(cluster.pools):
        announced = pool.kind != "IPAddressPool"  # the legacy AddressPool announces itself
        for a_index, advertisement in enumerate(cluster.advertisements):
            if advertisement.resource.namespace != pool.namespace:
                continue  # MetalLB matches advertisements to pools of their own namespace only
            if advertisement.selects(pool):
                lines.append(f"  p{p_index} --> a{a_index}")
                announced = True
            elif advertisement.unresolved or advertisement.may_select(pool):
                lines.append(f"  p{p_index} -.-> a{a_index}")
                announced = True
        if not announced:
            dark.append(p_index)
    dark_nodes = _node_lines(cluster, lines)
    if dark or dark_nodes:
        lines.append("  classDef dark fill:#333,color:#fff,stroke:#f33,stroke-width:2px")
        lines.append("  class " + ",".join([f"p{i}" for i in dark] + [f"n{i}" for i in dark_nodes]) + " dark")
    lines.append("```")
    if dark:
        lines += ["", f"Dark (selected by no advertisement): {', '.join(_dark_names(cluster, dark))}."]
    if dark_nodes:
        names = ", ".join(f"`{cluster.nodes[i].name}`" for i in dark_nodes)
        lines += ["", f"Dark nodes (no speaker announces from them): {names}."]
    return lines


def _node_lines(cluster: Cluster, lines: list[str]) -> list[int]:
    """Advertisements → the nodes that announce for them (a dotted link to a selected node that
    cannot, its reason in its box); returns the indexes of the dark nodes."""
    nodes = cluster.nodes[:MAX_NODES]
    if not nodes:
        return []
    verdicts: dict[str | None, Announcers] = {}
    for installation in cluster.installations:  # the answer the rules already computed
        found = cluster_announcers(cluster, installation)
        if found is not None:
            verdicts.setdefault(installation.namespace, found)
    drawn: dict[int, str] = {}  # node index -> its reason ('' when it announces)
    edges: list[str] = []
    for a_index, advertisement in enumerate(cluster.advertisements):
        resource = advertisement.resource
        found = verdicts.get(resource.namespace)
        chosen = selected_nodes(node_selectors(resource) or [], nodes)
        if found is None or not chosen:
            continue
        for node in chosen:
            index = nodes.index(node)
            reason = found.verdict(node).reason()
            drawn[index] = reason
            edges.append(f"  a{a_index} {'-.-' if reason else '-->'} n{index}")
    for index, reason in sorted(drawn.items()):
        text = _label(f"node {nodes[index].name}") + (f"<br/>{_label(reason)}" if reason else "")
        lines.append(f'  n{index}["{text}"]')
    lines.extend(edges)
    return [index for index, reason in sorted(drawn.items()) if reason]


def _dark_names(cluster: Cluster, dark: list[int]) -> list[str]:
    return [f"`{cluster.pools[i].name}`" for i in dark]


def markdown_report(result: Result) -> str:
    counts = severity_counts(result.findings)
    lines = ["## metallb-lint", ""]
    scope = f"{plural(result.files, 'file')}, {plural(result.targets, 'target')}"
    if result.findings:
        lines.append(f"**{plural(counts[Severity.ERROR], 'error')}**, "
                     f"{plural(counts[Severity.WARNING], 'warning')}, "
                     f"{counts[Severity.INFO]} info in {scope}.")
    else:
        lines.append(f"No problems found in {scope}.")
    for message in result.errors:
        lines += ["", f"> [!CAUTION]\n> metallb-lint {_cell(message)}"]
    if result.findings:
        lines += ["", "| Location | Severity | Rule | Message |", "|---|---|---|---|"]
        for finding in result.findings[:MAX_ROWS]:
            rule = f"[`{finding.rule}`]({rule_url(finding.code, finding.rule)}) {finding.code}"
            where = f"`{finding.location.file}:{finding.location.line}`"
            lines.append(f"| {where} | {_ICONS[finding.severity]} | {rule} | {_cell(finding.message)} |")
        if len(result.findings) > MAX_ROWS:
            left_out = len(result.findings) - MAX_ROWS
            lines += ["", f"... and {left_out} more; the SARIF or JSON report has them all."]
    for cluster in result.clusters:
        if not cluster.pools and not cluster.advertisements:
            continue  # a target with no MetalLB configuration has nothing to draw
        lines += ["", f"### Target `{cluster.target}`", ""] + flowchart(cluster)
    return "\n".join(lines) + "\n"


def write_markdown(result: Result, stream: TextIO, options: ReportOptions) -> None:
    stream.write(markdown_report(result))
