"""What a change does to MetalLB, target by target, for `metallb-lint diff`.

Each detector compares one target's `Cluster` before and after and yields
`Change`s. New kinds of change (Service requested IPs leaving every pool,
version bumps, speaker placement) are one more function appended to
`DETECTORS`; nothing else needs to know about them.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from linter.finding import Location, ObjectRef
from linter.installation import InstallationModel
from linter.model import Advertisement, Cluster, Pool
from linter.yamlpos import plain

Interval = tuple[int, int]  # first and last address, as integers, inclusive


@dataclass(frozen=True, slots=True)
class Change:
    target: str
    kind: str  # e.g. "pool-added", "pool-addresses-changed": stable, for machines
    message: str  # for people
    object: ObjectRef | None = None
    location: Location | None = None  # in HEAD, or in BASE for something removed
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        obj, location = self.object, self.location
        return {
            "target": self.target,
            "kind": self.kind,
            "message": self.message,
            "object": None if obj is None else {
                "apiVersion": obj.api_version, "kind": obj.kind, "namespace": obj.namespace, "name": obj.name,
            },
            "file": location.file if location else None,
            "line": location.line if location else None,
            "column": location.column if location else None,
            **self.details,
        }


Detector = Callable[[Cluster, Cluster], Iterator[Change]]


def changes(base: list[Cluster], head: list[Cluster]) -> list[Change]:
    """Every change between the clusters of two revisions, targets matched by name."""
    before = {cluster.target: cluster for cluster in base}
    after = {cluster.target: cluster for cluster in head}
    found: list[Change] = []
    for name in sorted(before.keys() | after.keys()):
        if name not in before:
            found.append(Change(name, "target-added", f"new target {name}"))
        elif name not in after:
            found.append(Change(name, "target-removed", f"target {name} is gone"))
        # A target on one side only is compared with an empty one, so the
        # review still lists the pools a new cluster brings or an old one takes away.
        old, new = before.get(name) or Cluster(name, []), after.get(name) or Cluster(name, [])
        for detector in DETECTORS:
            found.extend(detector(old, new))
    return found


# -- address intervals -------------------------------------------------------

def _merged(intervals: list[Interval]) -> list[Interval]:
    result: list[Interval] = []
    for first, last in sorted(intervals):
        if result and first <= result[-1][1] + 1:
            result[-1] = (result[-1][0], max(result[-1][1], last))
        else:
            result.append((first, last))
    return result


def _minus(kept: list[Interval], taken: list[Interval]) -> list[Interval]:
    """The parts of `kept` not in `taken` (both merged and sorted)."""
    result: list[Interval] = []
    for first, last in kept:
        for cut_first, cut_last in taken:
            if cut_last < first or cut_first > last:
                continue
            if cut_first > first:
                result.append((first, cut_first - 1))
            first = cut_last + 1
            if first > last:
                break
        if first <= last:
            result.append((first, last))
    return result


def pool_intervals(pool: Pool) -> dict[int, list[Interval]]:
    """The addresses of the valid entries, per IP version, merged."""
    raw: dict[int, list[Interval]] = {}
    for item in pool.entries:
        if item.entry.valid:
            raw.setdefault(item.entry.version, []).append((item.entry.first, item.entry.last))
    return {version: _merged(intervals) for version, intervals in raw.items()}


def format_interval(version: int, interval: Interval) -> str:
    """A CIDR when the interval is exactly one, else `first-last` (both valid pool syntax)."""
    make = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
    first, last = make(interval[0]), make(interval[1])
    networks = list(ipaddress.summarize_address_range(first, last))
    return str(networks[0]) if len(networks) == 1 else f"{first}-{last}"


def _describe(by_version: dict[int, list[Interval]]) -> list[str]:
    return [format_interval(version, interval) for version in sorted(by_version) for interval in by_version[version]]


def _count(by_version: dict[int, list[Interval]]) -> int:
    return sum(last - first + 1 for intervals in by_version.values() for first, last in intervals)


# -- detectors ---------------------------------------------------------------

def pool_changes(base: Cluster, head: Cluster) -> Iterator[Change]:
    """Pools added or removed, and the address ranges that appear or disappear."""
    before = {(p.namespace, p.name): p for p in base.pools}
    after = {(p.namespace, p.name): p for p in head.pools}
    for key in sorted(before.keys() | after.keys(), key=lambda k: (k[0] or "", k[1] or "")):
        old, new = before.get(key), after.get(key)
        old_ranges = pool_intervals(old) if old else {}
        new_ranges = pool_intervals(new) if new else {}
        added = {v: _minus(r, old_ranges.get(v, [])) for v, r in new_ranges.items()}
        removed = {v: _minus(r, new_ranges.get(v, [])) for v, r in old_ranges.items()}
        added = {v: r for v, r in added.items() if r}
        removed = {v: r for v, r in removed.items() if r}
        added_text, removed_text = _describe(added), _describe(removed)
        details = {"added": added_text, "removed": removed_text,
                   "addresses_before": _count(old_ranges), "addresses_after": _count(new_ranges)}
        if new is None and old is not None:
            ref = old.resource.ref()
            yield Change(base.target, "pool-removed",
                         f"{ref} removed ({', '.join(removed_text) or 'no valid addresses'})",
                         ref, old.resource.location(), details)
        elif old is None and new is not None:
            ref = new.resource.ref()
            yield Change(head.target, "pool-added",
                         f"{ref} added ({', '.join(added_text) or 'no valid addresses'})",
                         ref, new.resource.location(), details)
        elif new is not None and (added or removed):
            ref = new.resource.ref()
            parts = [f"{label} {', '.join(texts)}" for label, texts in (("added", added_text), ("removed", removed_text))
                     if texts]
            message = (f"{ref} addresses {'; '.join(parts)} "
                       f"({details['addresses_before']} -> {details['addresses_after']} addresses)")
            yield Change(head.target, "pool-addresses-changed", message, ref, new.resource.location(), details)


def _selected(advertisement: Advertisement, cluster: Cluster) -> list[str]:
    # MetalLB matches an advertisement with the pools of its own namespace only.
    namespace = advertisement.resource.namespace
    return sorted({str(p.name) for p in cluster.pools if p.namespace == namespace and advertisement.selects(p)})


def advertisement_changes(base: Cluster, head: Cluster) -> Iterator[Change]:
    """Advertisements added or removed, or announcing another set of pools."""
    def key(advertisement: Advertisement) -> tuple[str, str, str]:
        resource = advertisement.resource
        return (resource.kind, resource.namespace or "", resource.name or "")

    before = {key(a): a for a in base.advertisements}
    after = {key(a): a for a in head.advertisements}
    for name in sorted(before.keys() | after.keys()):
        old, new = before.get(name), after.get(name)
        old_pools = _selected(old, base) if old else []
        new_pools = _selected(new, head) if new else []
        details = {"pools_before": old_pools, "pools_after": new_pools}
        if new is None and old is not None:
            ref = old.resource.ref()
            yield Change(base.target, "advertisement-removed",
                         f"{ref} removed (announced {', '.join(old_pools) or 'no pool'})",
                         ref, old.resource.location(), details)
        elif old is None and new is not None:
            ref = new.resource.ref()
            yield Change(head.target, "advertisement-added",
                         f"{ref} added (announces {', '.join(new_pools) or 'no pool'})",
                         ref, new.resource.location(), details)
        elif new is not None and old_pools != new_pools:
            ref = new.resource.ref()
            yield Change(head.target, "advertisement-pools-changed",
                         f"{ref} now announces {', '.join(new_pools) or 'no pool'} "
                         f"(was {', '.join(old_pools) or 'no pool'})",
                         ref, new.resource.location(), details)


def installation_changes(base: Cluster, head: Cluster) -> Iterator[Change]:
    """MetalLB installations added or removed, or moved to another namespace."""
    def grouped(cluster: Cluster) -> dict[tuple[str, str, str], dict[str | None, Any]]:
        # Keyed without the namespace, so a moved installation is one change, not two.
        groups: dict[tuple[str, str, str], dict[str | None, Any]] = {}
        for item in cluster.installations:
            key = item.identity
            groups.setdefault(key, {})[item.namespace] = item
        return groups

    before, after = grouped(base), grouped(head)
    for key in sorted(before.keys() | after.keys()):
        old, new = before.get(key, {}), after.get(key, {})
        gone = [old[n] for n in old if n not in new]
        came = [new[n] for n in new if n not in old]
        if len(gone) == 1 and len(came) == 1:
            was, now = gone[0], came[0]
            yield Change(head.target, "installation-namespace-changed",
                         f"MetalLB ({now.how} {now.name}) moves from namespace "
                         f"{was.namespace or '(none)'} to {now.namespace or '(none)'}",
                         now.ref(), now.location,
                         {"namespace_before": was.namespace, "namespace_after": now.namespace})
            continue
        for item in gone:
            yield Change(base.target, "installation-removed",
                         f"MetalLB installation removed: {item.how} {item.name} "
                         f"in namespace {item.namespace or '(none)'}",
                         item.ref(), item.location, {"namespace": item.namespace})
        for item in came:
            yield Change(head.target, "installation-added",
                         f"MetalLB installation added: {item.how} {item.name} "
                         f"in namespace {item.namespace or '(none)'}",
                         item.ref(), item.location, {"namespace": item.namespace})


def _by_identity(cluster: Cluster) -> dict[object, InstallationModel]:
    return {item.identity: item for item in cluster.installations}


def version_changes(base: Cluster, head: Cluster) -> Iterator[Change]:
    """An installation that stays, on another MetalLB version (0.14.8 -> 0.14.9)."""
    before = _by_identity(base)
    for key, now in _by_identity(head).items():
        was = before.get(key)
        if was is None or was.version == now.version:
            continue
        yield Change(head.target, "version-changed",
                     f"MetalLB {was.version or '(unpinned)'} -> {now.version or '(unpinned)'} "
                     f"({now.how} {now.name})", now.ref(), now.version_location or now.location,
                     {"version_before": was.version, "version_after": now.version})


def _placement_fields(item: InstallationModel) -> dict[str, tuple[object, Location]]:
    fields: dict[str, tuple[object, Location]] = {}
    for component in ("speaker", "controller"):
        placement = getattr(item, component)
        for name, located in (("tolerations", placement.tolerations), ("nodeSelector", placement.node_selector),
                              ("affinity", placement.affinity)):
            fields[f"{component} {name}"] = (plain(located.value), located.location)
    fields["speaker ignoreExcludeLB"] = (item.ignore_exclude_lb.value, item.ignore_exclude_lb.location)
    return fields


def placement_changes(base: Cluster, head: Cluster) -> Iterator[Change]:
    """Where speakers and the controller may run, and whether excluded nodes announce."""
    before = _by_identity(base)
    for key, now in _by_identity(head).items():
        was = before.get(key)
        if was is None or not was.known or not now.known:
            continue
        old, new = _placement_fields(was), _placement_fields(now)
        for name, (value, location) in new.items():
            previous = old[name][0]
            if previous == value:
                continue
            yield Change(head.target, "placement-changed",
                         f"{name} of {now.how} {now.name}: {json.dumps(previous, default=str)} -> {json.dumps(value, default=str)}",
                         now.ref(), location, {"field": name, "before": previous, "after": value})


def _holds(pools: list[Pool], address: object) -> bool:
    value, version = int(address), address.version  # type: ignore[call-overload,attr-defined]
    return any(e.entry.valid and e.entry.version == version and e.entry.first <= value <= e.entry.last
               for pool in pools for e in pool.entries)


def requested_ip_changes(base: Cluster, head: Cluster) -> Iterator[Change]:
    """A Service's requested address that some pool held before and none holds now: MetalLB
    takes it back (the Service goes Pending), and another Service may get it."""
    from linter.services import lb_services  # deferred: only a diff pays for Service parsing

    if not base.pools:
        return
    for service in lb_services(head):
        for requested in service.ips:
            if requested.address is None or not _holds(base.pools, requested.address) \
                    or _holds(head.pools, requested.address):
                continue
            yield Change(head.target, "requested-ip-left-pools",
                         f"warning: addresses reallocated: Service {service.display} requests {requested.text}, "
                         f"which a pool held before and no pool holds now: the Service loses its address",
                         service.resource.ref(), requested.location,
                         {"service": service.display, "address": requested.text, "warning": True})


# The extension point: one function per kind of change, run in this order.
DETECTORS: list[Detector] = [pool_changes, advertisement_changes, installation_changes, version_changes,
                             placement_changes, requested_ip_changes]
