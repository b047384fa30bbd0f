"""The LoadBalancer Service model and the allocator facts it answers (facts §1.3-§1.5, §6)."""

from __future__ import annotations

import ipaddress
import random
import textwrap

import pytest

from linter.installation import installations
from linter.loader import load_text
from linter.model import POOL_KINDS, Cluster, _pool
from linter.resource import Resource, resources_in
from linter.service_capacity import shortfalls
from linter.service_pools import (auto_pools, compatible, handles, metallb_pools, namespace_labels,
                                  service_context, sharing_problem)
from linter.services import LBService, lb_services, parse_service
from rules.services import (NoPools, PoolExhausted, ServiceClassNotHandled, ServiceIPConflict, ServiceIPNotInPool,
                            ServiceRequestInvalid, ServiceUnknownPool)

RULES = (ServiceIPNotInPool(), ServiceUnknownPool(), ServiceIPConflict(), PoolExhausted(),
         ServiceClassNotHandled(), ServiceRequestInvalid(), NoPools())

SPEAKER = """\
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: speaker, namespace: metallb-system}
spec:
  template:
    spec:
      containers:
      - name: speaker
        image: quay.io/metallb/speaker:%s
"""


def _resources(text: str) -> list[Resource]:
    source = load_text(textwrap.dedent(text), "x.yaml")
    return [r for d in source.documents for r in resources_in(d.value, "x.yaml")]


def _cluster(text: str, version: str | None = "v0.15.2") -> Cluster:
    resources = _resources((SPEAKER % version + "---\n" if version else "") + textwrap.dedent(text))
    cluster = Cluster("t", resources)
    cluster.pools = [_pool(r) for r in resources if r.kind in POOL_KINDS]
    cluster.installations = installations(resources, [])
    return cluster


def _service(annotations: str = "", spec: str = "", labels: str = "", namespace: str = "apps") -> LBService:
    text = f"""\
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: {namespace}
  labels: {{{labels}}}
  annotations: {{{annotations}}}
spec:
  type: LoadBalancer
  selector: {{app: web}}
  ports: [{{port: 80}}]
{spec}"""
    service = parse_service(_resources(text)[0])
    assert service is not None
    return service


# -- reading a Service ---------------------------------------------------------------------------


def test_only_load_balancer_services_are_read() -> None:
    resources = _resources("""\
        apiVersion: v1
        kind: Service
        metadata: {name: a}
        spec: {type: ClusterIP}
        ---
        apiVersion: example.com/v1
        kind: Service
        metadata: {name: b}
        spec: {type: LoadBalancer}
        """)
    assert [parse_service(r) for r in resources] == [None, None]


def test_the_new_prefix_wins_over_the_old_one() -> None:
    service = _service("metallb.io/loadBalancerIPs: 10.0.0.1, metallb.universe.tf/loadBalancerIPs: 10.0.0.2")
    assert [ip.text for ip in service.ips] == ["10.0.0.1"]
    assert service.source == "metallb.io/loadBalancerIPs"
    assert [key for key, _, _ in service.ignored_annotations] == ["metallb.universe.tf/loadBalancerIPs"]


def test_an_empty_new_prefix_value_still_hides_the_old_one() -> None:
    # valueForAnnotation returns the metallb.io/ value whenever the key is present.
    service = _service('metallb.io/address-pool: "", metallb.universe.tf/address-pool: lan')
    assert service.pool is not None and service.pool.value == ""


def test_the_old_prefix_alone_is_read() -> None:
    service = _service("metallb.universe.tf/address-pool: lan, metallb.universe.tf/allow-shared-ip: k")
    assert service.pool is not None and service.pool.value == "lan"
    assert service.pool_key == "metallb.universe.tf/address-pool"
    assert service.sharing_key is not None and service.sharing_key.value == "k"


def test_before_v0_14_9_the_new_prefix_is_not_read() -> None:
    resource = _service("metallb.io/loadBalancerIPs: 10.0.0.1, metallb.universe.tf/loadBalancerIPs: 10.0.0.2").resource
    old = parse_service(resource, (0, 14, 8))
    assert old is not None and [ip.text for ip in old.ips] == ["10.0.0.2"]
    assert old.ignored_annotations[0][0] == "metallb.io/loadBalancerIPs"


def test_annotation_items_are_trimmed_but_spec_ip_is_not() -> None:
    assert [ip.address for ip in _service('metallb.io/loadBalancerIPs: " 10.0.0.1 ,fd00::1"').ips] == [
        ipaddress.ip_address("10.0.0.1"), ipaddress.ip_address("fd00::1")]
    assert _service(spec='  loadBalancerIP: " 10.0.0.1"\n').ips[0].address is None


def test_requested_and_service_families() -> None:
    dual = _service("metallb.io/loadBalancerIPs: '10.0.0.1,fd00::1'", "  ipFamilyPolicy: RequireDualStack\n")
    assert (dual.requested_family, dual.service_family) == ("dual", "dual")
    same = _service("metallb.io/loadBalancerIPs: '10.0.0.1,10.0.0.2'")
    assert same.requested_family is None
    v6 = _service(spec="  ipFamilies: [IPv6]\n")
    assert v6.service_family == "6"
    assert _service(spec="  ipFamilyPolicy: PreferDualStack\n").service_family is None
    assert _service().service_family is None  # the cluster's default family


def test_backend_key_is_the_selector_for_local_only() -> None:
    assert _service().backend_key == ""
    assert _service(spec="  externalTrafficPolicy: Local\n").backend_key == "app=web"


def test_unresolved_values_mark_the_service() -> None:
    assert _service("metallb.io/loadBalancerIPs: '${IP}'").unresolved
    assert _service(labels="team: '${TEAM}'").unresolved
    assert not _service().unresolved


@pytest.mark.parametrize("shape", [
    "metadata: 5\nspec: {type: LoadBalancer}",
    "metadata: {name: x, annotations: [a, b]}\nspec: {type: LoadBalancer}",
    "metadata: {name: x, annotations: {metallb.io/loadBalancerIPs: 5}}\nspec: {type: LoadBalancer}",
    "metadata: {name: x}\nspec: {type: LoadBalancer, ports: 80, selector: [a], ipFamilies: IPv4}",
    "metadata: {name: x}\nspec: {type: LoadBalancer, ports: [80, {port: x}, {port: 1, protocol: 5}]}",
    "metadata: {name: x}\nspec: {type: LoadBalancer, loadBalancerIP: [1], loadBalancerClass: {a: b}}",
    "metadata: {name: x}\nspec: {type: LoadBalancer, ipFamilyPolicy: 3, externalTrafficPolicy: null}",
])
def test_wrong_types_never_crash(shape: str) -> None:
    resource = _resources("apiVersion: v1\nkind: Service\n" + shape)[0]
    service = parse_service(resource)
    assert service is not None
    assert service.malformed or service.ports == frozenset() or service.ips == []


def test_random_shapes_never_crash() -> None:
    rng = random.Random(7)
    values = ["5", "null", "[]", "{}", "'${X}'", "x", "[1, {a: b}]", "{port: 80}", "true", "LoadBalancer",
              "10.0.0.1", "'10.0.0.1,fd00::1'", "[10.0.0.0/30]", "{namespaces: [a], priority: x}",
              "{serviceSelectors: [{matchLabels: {a: b}}], namespaceSelectors: 3}"]
    keys = ["type", "ports", "selector", "loadBalancerIP", "loadBalancerClass", "ipFamilies",
            "ipFamilyPolicy", "externalTrafficPolicy"]
    for _ in range(200):
        spec = ", ".join(f"{k}: {rng.choice(values)}" for k in rng.sample(keys, 4))
        ann = ", ".join(f"{k}: {rng.choice(values)}" for k in ("metallb.io/loadBalancerIPs", "metallb.io/address-pool"))
        text = f"apiVersion: v1\nkind: Service\nmetadata: {{name: x, annotations: {{{ann}}}}}\n" \
               f"spec: {{type: LoadBalancer, {spec}}}\n"
        cluster = _cluster(text + "---\napiVersion: metallb.io/v1beta1\nkind: IPAddressPool\n"
                           f"metadata: {{name: p, namespace: metallb-system}}\nspec: {{addresses: {rng.choice(values)},"
                           f" autoAssign: {rng.choice(values)}, serviceAllocation: {rng.choice(values)}}}\n")
        context = service_context(cluster)
        assert context is not None
        shortfalls(context)
        for service in lb_services(cluster):
            sharing_problem(service, service)
        for rule in RULES:
            list(rule.check_cluster(cluster))


# -- pools -----------------------------------------------------------------------------------------

POOLS = """\
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: buggy, namespace: metallb-system}
spec: {addresses: [192.168.10.0/24], avoidBuggyIPs: true}
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: elsewhere, namespace: other}
spec: {addresses: [10.0.0.0/24]}
"""


def test_only_pools_in_metallb_namespace_count() -> None:
    assert [p.name for p in metallb_pools(_cluster(POOLS))] == ["buggy"]
    assert [p.name for p in metallb_pools(_cluster(POOLS, version=None))] == ["buggy", "elsewhere"]


def test_avoid_buggy_ips_excludes_dot_0_and_dot_255() -> None:
    pool = metallb_pools(_cluster(POOLS))[0]
    for text, contained in (("192.168.10.0", False), ("192.168.10.255", False), ("192.168.10.1", True)):
        address = ipaddress.ip_address(text)
        assert pool.covers(address)
        assert pool.contains(address) is contained
    assert pool.capacity(4) == 254 and pool.capacity(6) == 0


def test_capacity_of_a_range_across_octets() -> None:
    cluster = _cluster("""\
        apiVersion: metallb.io/v1beta1
        kind: IPAddressPool
        metadata: {name: p, namespace: metallb-system}
        spec: {addresses: [192.168.10.250-192.168.12.5], avoidBuggyIPs: true}
        """)
    pool = metallb_pools(cluster)[0]
    # 268 addresses, of which 10.255, 11.0, 11.255 and 12.0 are skipped.
    assert pool.capacity(4) == 268 - 4


ALLOCATION = """\
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {env: prod}}
---
apiVersion: v1
kind: Namespace
metadata: {name: sandbox, labels: {env: dev}}
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: by-ns, namespace: metallb-system}
spec:
  addresses: [10.1.0.0/28]
  serviceAllocation: {priority: 5, namespaces: [team-a]}
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: by-selector, namespace: metallb-system}
spec:
  addresses: [10.2.0.0/28]
  serviceAllocation: {priority: 1, namespaceSelectors: [{matchLabels: {env: prod}}]}
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: by-label, namespace: metallb-system}
spec:
  addresses: [10.3.0.0/28]
  serviceAllocation: {serviceSelectors: [{matchLabels: {exposure: public}}]}
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: plain, namespace: metallb-system}
spec: {addresses: [10.4.0.0/28]}
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: priority-only, namespace: metallb-system}
spec: {addresses: [10.5.0.0/28], serviceAllocation: {priority: 3}}
"""


@pytest.mark.parametrize(("namespace", "labels", "expected"), [
    # "team-a" has no Namespace object here: whether the selector matches it is unknown.
    ("team-a", "", {"by-ns": True, "by-selector": None, "by-label": False}),
    ("shop", "", {"by-ns": False, "by-selector": True, "by-label": False}),
    ("sandbox", "exposure: public", {"by-ns": False, "by-selector": False, "by-label": True}),
    ("undeclared", "", {"by-ns": False, "by-selector": None, "by-label": False}),
])
def test_service_allocation_matching(namespace: str, labels: str, expected: dict[str, bool | None]) -> None:
    cluster = _cluster(ALLOCATION)
    pools = {p.name: p for p in metallb_pools(cluster)}
    service = _service(labels=labels, namespace=namespace)
    got = {name: compatible(pools[name], service, namespace_labels(cluster)) for name in expected}
    assert got == expected
    assert compatible(pools["plain"], service, {}) is True
    assert compatible(pools["priority-only"], service, {}) is True


def test_auto_pools_pinned_by_priority_then_fallback() -> None:
    cluster = _cluster(ALLOCATION)
    pools = metallb_pools(cluster)
    found = auto_pools(_service(namespace="shop"), pools, namespace_labels(cluster), (0, 15, 2))
    assert [p.name for p in found.pinned] == ["by-selector", "priority-only"]
    assert [p.name for p in found.fallback] == ["plain"]
    # Before v0.15.0 a priority-only allocation was never used automatically.
    old = auto_pools(_service(namespace="shop"), pools, namespace_labels(cluster), (0, 14, 8))
    assert [p.name for p in old.pinned] == ["by-selector"]


# -- sharing ---------------------------------------------------------------------------------------


def _sharer(key: str | None, ports: str = "[{port: 80}]", local: bool = False, app: str = "web") -> LBService:
    annotations = f"metallb.io/allow-shared-ip: {key}" if key else ""
    text = f"""\
apiVersion: v1
kind: Service
metadata: {{name: s{random.random()}, annotations: {{{annotations}}}}}
spec:
  type: LoadBalancer
  selector: {{app: {app}}}
  externalTrafficPolicy: {'Local' if local else 'Cluster'}
  ports: {ports}
"""
    service = parse_service(_resources(text)[0])
    assert service is not None
    return service


@pytest.mark.parametrize(("first", "second", "problem"), [
    (_sharer("k"), _sharer("k", "[{port: 443}]"), None),
    (_sharer("k"), _sharer("k", "[{port: 80, protocol: UDP}]"), None),
    (_sharer(None), _sharer("k", "[{port: 443}]"), "no allow-shared-ip"),
    (_sharer("k"), _sharer(None, "[{port: 443}]"), "no allow-shared-ip"),
    (_sharer("a"), _sharer("b", "[{port: 443}]"), "sharing keys differ"),
    (_sharer("k"), _sharer("k"), "both use port TCP/80"),
    (_sharer("k", local=True), _sharer("k", "[{port: 443}]", local=True, app="api"), "different selectors"),
    (_sharer("k", local=True), _sharer("k", "[{port: 443}]", local=True), None),
    (_sharer("k", local=True), _sharer("k", "[{port: 443}]"), "uses externalTrafficPolicy: Local"),
])
def test_sharing_conditions(first: LBService, second: LBService, problem: str | None) -> None:
    got = sharing_problem(first, second)
    if problem is None:
        assert got is None
    else:
        assert got is not None and problem in got


# -- which Services are MetalLB's -------------------------------------------------------------------


def test_load_balancer_class_decides_who_handles_a_service() -> None:
    plain, classed = _service(), _service(spec="  loadBalancerClass: metallb\n")
    assert handles(plain, {None}) and not handles(classed, {None})
    assert handles(classed, {"metallb"}) and not handles(plain, {"metallb"})
    assert handles(plain, None) and not handles(classed, None)  # unknown: MetalLB's default


def test_a_cluster_without_metallb_or_pools_has_no_context() -> None:
    assert service_context(_cluster("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n", version=None)) is None
    assert service_context(_cluster(POOLS, version=None)) is not None


def test_capacity_counts_requested_addresses_and_sharing() -> None:
    cluster = _cluster("""\
        apiVersion: metallb.io/v1beta1
        kind: IPAddressPool
        metadata: {name: p, namespace: metallb-system}
        spec: {addresses: [10.0.0.1-10.0.0.2]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: fixed, annotations: {metallb.io/loadBalancerIPs: 10.0.0.1}}
        spec: {type: LoadBalancer, ports: [{port: 80}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: a, annotations: {metallb.io/allow-shared-ip: k}}
        spec: {type: LoadBalancer, ports: [{port: 80}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: b, annotations: {metallb.io/allow-shared-ip: k}}
        spec: {type: LoadBalancer, ports: [{port: 443}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: c}
        spec: {type: LoadBalancer, ports: [{port: 80}]}
        """)
    context = service_context(cluster)
    assert context is not None
    assert [s.service.name for s in shortfalls(context)] == ["c"]
