"""ML401-ML402: which pools the advertisements announce (facts §2.3)."""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from linter.finding import Finding, Related, Severity
from linter.model import Advertisement, Cluster
from linter.rule import Rule

_POOL = """\
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: lan
spec:
  addresses: [192.168.10.0/28]
"""


class PoolNotAdvertised(Rule):
    code = "ML401"
    name = "pool-not-advertised"
    severity = Severity.WARNING
    summary = "A pool that no L2Advertisement or BGPAdvertisement selects: its IPs are handed out but never announced."
    rationale = (
        "Allocation never looks at advertisements: the controller still gives Services addresses "
        "from the pool, but every speaker skips them with only a debug log. The Service shows an "
        "EXTERNAL-IP that nothing answers for, and no event says why. It is the most reported "
        "MetalLB problem since advertisements became separate objects in v0.13."
    )
    remediation = (
        "Add an L2Advertisement or BGPAdvertisement in the pool's namespace that lists the pool in "
        "`ipAddressPools`, selects it with `ipAddressPoolSelectors`, or sets neither (all pools)."
    )
    bad_example = _POOL
    good_example = _POOL + """\
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata:
  name: lan
spec:
  ipAddressPools: [lan]
"""

    def check_cluster(self, cluster: Cluster) -> Iterator[Finding]:
        installed_in = cluster.metallb_namespaces
        for pool in cluster.pools:
            if pool.kind != "IPAddressPool":
                continue  # the legacy AddressPool announces through its own `protocol`
            if installed_in and pool.namespace not in installed_in:
                continue  # MetalLB never reads it at all: wrong-namespace says so
            advertisements = [a for a in cluster.advertisements
                              if a.resource.namespace == pool.namespace]
            if any(a.unresolved or a.may_select(pool) for a in advertisements):
                continue
            metadata = pool.resource.metadata
            location = metadata.value_location("name") if "name" in metadata else pool.resource.location()
            if advertisements:
                detail = "; the advertisements here select other pools"
            else:
                detail = ""
            yield self.finding(
                f'IPAddressPool "{pool.name}" is selected by no L2Advertisement or BGPAdvertisement'
                f"{detail}: MetalLB assigns its addresses to Services but no speaker announces them",
                location, cluster=cluster, resource=pool.resource,
                related=[Related(a.resource.location(), f"{a.resource.describe()} does not select it")
                         for a in advertisements])


class AdvertisementUnknownPool(Rule):
    code = "ML402"
    name = "advertisement-unknown-pool"
    severity = Severity.ERROR
    summary = "An advertisement names a pool that does not exist, or its pool selectors match no pool."
    rationale = (
        "MetalLB silently skips names in `ipAddressPools` that match no pool, and an "
        "`ipAddressPoolSelectors` list that matches nothing does NOT fall back to all pools: the "
        "advertisement then announces nothing. A typo leaves the intended pool unannounced."
    )
    remediation = "Correct the pool name or the selector labels, or create the pool in the same namespace."
    bad_example = _POOL + """\
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata:
  name: lan
spec:
  ipAddressPools: [lan-pool]
"""
    good_example = PoolNotAdvertised.good_example

    def check_cluster(self, cluster: Cluster) -> Iterator[Finding]:
        for advertisement in cluster.advertisements:
            yield from self._check(cluster, advertisement)

    def _check(self, cluster: Cluster, advertisement: Advertisement) -> Iterator[Finding]:
        resource = advertisement.resource
        pools = cluster.pools_in(resource.namespace)
        names = [p.name for p in pools if p.name]
        where = f' in namespace "{resource.namespace}"' if resource.namespace else ""
        # A pool whose name or labels Flux has yet to substitute may be the one meant.
        unknown_names = any(p.unresolved_name for p in pools)
        for ref in advertisement.pool_names:
            if ref.name in names or unknown_names:
                continue
            message = f'{resource.describe()} lists pool "{ref.name}", but no pool of that name exists{where}'
            elsewhere = sorted({p.namespace or "" for p in cluster.pools if p.name == ref.name})
            close = difflib.get_close_matches(ref.name, names, n=1)
            if elsewhere:
                message += f' (there is one in namespace "{elsewhere[0]}")'
            elif close:
                message += f' (did you mean "{close[0]}"?)'
            message += "; MetalLB ignores the name silently"
            yield self.finding(message, ref.location, cluster=cluster, resource=resource)
        selectors = advertisement.pool_selectors
        if selectors and all(s is not None for s in selectors) and not any(p.unresolved_labels for p in pools) \
                and not any(s.matches(p.labels) for s in selectors if s for p in pools):
            assert advertisement.selectors_location is not None
            yield self.finding(
                f"ipAddressPoolSelectors of {resource.describe()} match no pool{where}; MetalLB "
                "then applies it to none (it does not fall back to all pools)",
                advertisement.selectors_location, cluster=cluster, resource=resource,
                related=[Related(p.resource.location(), f'pool "{p.name}" has labels {p.labels or "{}"}')
                         for p in pools])
