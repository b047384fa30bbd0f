"""One `Cluster` per target: what MetalLB would see of it.

Rules read this model only. Addresses are parsed here, once, with the
location of each entry, so every rule agrees on what an entry means.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from linter.addresses import Entry, is_unresolved, parse_entry
from linter.config import Environments
from linter.finding import Location
from linter.helm_release import HelmRelease, helm_releases
from linter.installation import InstallationModel, installations
from linter.loader import SourceFile
from linter.nodes import Node
from linter.render import Target
from linter.resource import RenderProblem, Resource
from linter.selectors import LabelSelector, parse_selector
from linter.yamlpos import YSeq

T = TypeVar("T")

METALLB_GROUP = "metallb.io"
POOL_KINDS = frozenset(("IPAddressPool", "AddressPool"))
ADVERTISEMENT_KINDS = frozenset(("L2Advertisement", "BGPAdvertisement"))
# Configuration kinds MetalLB reads from its own namespace only (facts §3.2).
CONFIG_KINDS = POOL_KINDS | ADVERTISEMENT_KINDS | {"BGPPeer", "BFDProfile", "Community"}




@dataclass(frozen=True, slots=True)
class AddressEntry:
    entry: Entry
    location: Location
    raw: object


@dataclass(slots=True)
class Pool:
    resource: Resource
    entries: list[AddressEntry]
    unresolved: bool  # some entry is still a `${VAR}` or template
    addresses_set: bool  # `addresses` present and a list

    @property
    def name(self) -> str | None:
        return self.resource.name

    @property
    def namespace(self) -> str | None:
        return self.resource.namespace

    @property
    def kind(self) -> str:
        return self.resource.kind

    @property
    def labels(self) -> dict[str, str]:
        return self.resource.labels

    @property
    def unresolved_name(self) -> bool:
        """The name is still a `${VAR}` or template: which references match it is unknown."""
        return is_unresolved(self.resource.metadata.get("name"))

    @property
    def unresolved_labels(self) -> bool:
        """Some label is still a `${VAR}` or template: which selectors match it is unknown."""
        return any(is_unresolved(k) or is_unresolved(v) for k, v in self.labels.items())


@dataclass(frozen=True, slots=True)
class PoolName:
    name: str
    location: Location


@dataclass(slots=True)
class Advertisement:
    resource: Resource
    pool_names: list[PoolName]
    pool_selectors: list[LabelSelector | None]  # None: invalid or not literal
    selectors_location: Location | None
    unresolved: bool  # some pool reference cannot be evaluated

    @property
    def selects_all_pools(self) -> bool:
        """Neither field set: MetalLB applies it to every pool (facts §2.3)."""
        return not self.pool_names and not self.pool_selectors and not self.unresolved

    def selects(self, pool: Pool) -> bool:
        if self.selects_all_pools:
            return True
        if any(ref.name == pool.name for ref in self.pool_names):
            return True
        return any(s is not None and s.matches(pool.labels) for s in self.pool_selectors)

    def may_select(self, pool: Pool) -> bool:
        """Whether it selects `pool`, or could once Flux substitutes variables in the pool."""
        return self.selects(pool) or (pool.unresolved_name and bool(self.pool_names)) \
            or (pool.unresolved_labels and bool(self.pool_selectors))


@dataclass(slots=True)
class Cluster:
    target: str
    resources: list[Resource]
    pools: list[Pool] = field(default_factory=list)
    advertisements: list[Advertisement] = field(default_factory=list)
    installations: list[InstallationModel] = field(default_factory=list)
    config_resources: list[Resource] = field(default_factory=list)  # metallb.io configuration
    helm_releases: list[HelmRelease] = field(default_factory=list)  # MetalLB (or MetalLB-named) releases
    nodes: list[Node] = field(default_factory=list)  # linter/node_scope.py: empty when unknown
    # Analyses several rules read (who announces where, the Services' context), computed once.
    _derived: dict[object, object] = field(default_factory=dict)

    def derived(self, key: object, compute: Callable[[], T]) -> T:
        """`compute()`, once per cluster and key: rules that ask the same question share the answer."""
        if key not in self._derived:
            self._derived[key] = compute()
        return self._derived[key]  # type: ignore[return-value]

    @property
    def metallb_namespaces(self) -> set[str]:
        return {i.namespace for i in self.installations if i.namespace}

    def pools_in(self, namespace: str | None) -> list[Pool]:
        return [pool for pool in self.pools if pool.namespace == namespace]


def _pool(resource: Resource) -> Pool:
    spec = resource.spec
    addresses = spec.get("addresses")
    entries: list[AddressEntry] = []
    unresolved = False
    if isinstance(addresses, YSeq):
        for index, raw in enumerate(addresses):
            if is_unresolved(raw):
                unresolved = True
                continue
            entries.append(AddressEntry(parse_entry(raw), addresses.item_location(index), raw))
    elif is_unresolved(addresses):
        unresolved = True
    return Pool(resource, entries, unresolved, isinstance(addresses, list))


def _advertisement(resource: Resource) -> Advertisement:
    spec = resource.spec
    names: list[PoolName] = []
    unresolved = False
    listed = spec.get("ipAddressPools")
    if isinstance(listed, YSeq):
        for index, name in enumerate(listed):
            if not isinstance(name, str) or is_unresolved(name):
                unresolved = True
                continue
            names.append(PoolName(name, listed.item_location(index)))
    selectors_value = spec.get("ipAddressPoolSelectors")
    selectors: list[LabelSelector | None] = []
    selectors_location = None
    if isinstance(selectors_value, list) and selectors_value:
        selectors = [parse_selector(s) for s in selectors_value]
        selectors_location = spec.key_location("ipAddressPoolSelectors")
        unresolved = unresolved or any(s is None for s in selectors)
    return Advertisement(resource, names, selectors, selectors_location, unresolved)


def build_cluster(target: Target, nodes: list[Node] | None = None) -> Cluster:
    cluster = Cluster(target.name, target.resources, nodes=list(nodes or ()))
    for resource in target.resources:
        if resource.group == METALLB_GROUP:
            if resource.kind in CONFIG_KINDS:
                cluster.config_resources.append(resource)
            if resource.kind in POOL_KINDS:
                cluster.pools.append(_pool(resource))
            elif resource.kind in ADVERTISEMENT_KINDS:
                cluster.advertisements.append(_advertisement(resource))
    cluster.helm_releases = helm_releases(target.resources, target.workspace, target.helm_charts,
                                          target.repository)
    # Every installation, object or not (helmCharts, umbrella chart, helmfile): each has an identity.
    cluster.installations = installations(target.resources, cluster.helm_releases)
    return cluster


@dataclass(slots=True)
class Repository:
    """Everything the rules see: every file read, and one cluster per target."""

    files: dict[str, SourceFile]
    clusters: list[Cluster]
    render_problems: list[RenderProblem] = field(default_factory=list)
    environments: Environments = field(default_factory=lambda: Environments())  # from the configuration
