"""What kustomize knows of Kubernetes types without asking a cluster.

Three tables, each as kustomize (v5) has it built in:

- the merge keys strategic merge uses: lists merge by key only where
  kustomize's built-in OpenAPI schema (Kubernetes 1.21.2) declares one
  (`schema_for`);
- which (apiVersion, kind) are cluster-scoped: by that same schema when a
  patch target is selected (`is_cluster_scoped`), by kyaml's precomputed
  table for the namespace transformer and resource ids
  (`CLUSTER_SCOPED_TYPES`);
- kinds cluster-scoped by kind alone, for callers that place objects in a
  namespace themselves (`CLUSTER_SCOPED_KINDS`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

# --- the built-in OpenAPI schema (Kubernetes 1.21.2) ---------------------------


class MergeList(NamedTuple):
    """A list merged by key, and the schema of its elements."""

    keys: tuple[str, ...]  # () for a merged list of scalars (finalizers)
    elements: dict[str, Any] | None = None


_META = {"finalizers": MergeList(()), "ownerReferences": MergeList(("uid",))}
_MOUNTS = {"env": MergeList(("name",)), "volumeMounts": MergeList(("mountPath",)),
           "volumeDevices": MergeList(("devicePath",))}
_CONTAINER = {**_MOUNTS, "ports": MergeList(("containerPort", "protocol"))}
_POD_SPEC = {
    "containers": MergeList(("name",), _CONTAINER), "initContainers": MergeList(("name",), _CONTAINER),
    "ephemeralContainers": MergeList(("name",), _MOUNTS), "imagePullSecrets": MergeList(("name",)),
    "hostAliases": MergeList(("ip",)), "topologySpreadConstraints": MergeList(("topologyKey", "whenUnsatisfiable")),
    "volumes": MergeList(("name",), {"ephemeral": {"volumeClaimTemplate": {"metadata": _META}}}),
}
_CONDITIONS = {"conditions": MergeList(("type",))}
_TEMPLATE = {"metadata": _META, "spec": _POD_SPEC}
_WORKLOAD = {"spec": {"template": _TEMPLATE}, "status": _CONDITIONS}
_ROOTS: dict[str, dict[str, Any]] = {
    **dict.fromkeys(("DaemonSet", "Deployment", "ReplicaSet", "StatefulSet", "Job", "ReplicationController"), _WORKLOAD),
    "CronJob": {"spec": {"jobTemplate": {"metadata": _META, "spec": {"template": _TEMPLATE}}}},
    "Pod": {"spec": _POD_SPEC, "status": {**_CONDITIONS, "podIPs": MergeList(("ip",))}},
    "PodTemplate": {"template": _TEMPLATE},
    "Service": {"spec": {"ports": MergeList(("port", "protocol"))}, "status": _CONDITIONS},
    "Node": {"spec": {"podCIDRs": MergeList(())}, "status": {**_CONDITIONS, "addresses": MergeList(("type",))}},
    "ServiceAccount": {"secrets": MergeList(("name",))}, "ComponentStatus": _CONDITIONS,
    "MutatingWebhookConfiguration": {"webhooks": MergeList(("name",))},
    "ValidatingWebhookConfiguration": {"webhooks": MergeList(("name",))},
    "CSINode": {"spec": {"drivers": MergeList(("name",))}},
    **dict.fromkeys(("APIService", "PodDisruptionBudget", "Namespace", "PersistentVolumeClaim"), {"status": _CONDITIONS}),
}
# Every type kustomize has a schema for; anything else (apps/v1beta2, every CRD)
# merges without one. "*" marks a kind kustomize knows to be cluster-scoped.
_BUILTIN = """
admissionregistration.k8s.io/v1 admissionregistration.k8s.io/v1beta1: *MutatingWebhookConfiguration *ValidatingWebhookConfiguration
apiextensions.k8s.io/v1 apiextensions.k8s.io/v1beta1: *CustomResourceDefinition
apiregistration.k8s.io/v1 apiregistration.k8s.io/v1beta1: *APIService
apps/v1: ControllerRevision DaemonSet Deployment ReplicaSet StatefulSet
authentication.k8s.io/v1: TokenRequest TokenReview
authentication.k8s.io/v1beta1: TokenReview
authorization.k8s.io/v1 authorization.k8s.io/v1beta1: LocalSubjectAccessReview SelfSubjectAccessReview
authorization.k8s.io/v1 authorization.k8s.io/v1beta1: SelfSubjectRulesReview SubjectAccessReview
autoscaling/v1: HorizontalPodAutoscaler Scale
autoscaling/v2beta1 autoscaling/v2beta2: HorizontalPodAutoscaler
batch/v1: CronJob Job
batch/v1beta1: CronJob
certificates.k8s.io/v1 certificates.k8s.io/v1beta1: *CertificateSigningRequest
coordination.k8s.io/v1 coordination.k8s.io/v1beta1: Lease
discovery.k8s.io/v1 discovery.k8s.io/v1beta1: EndpointSlice
events.k8s.io/v1 events.k8s.io/v1beta1: Event
extensions/v1beta1: Ingress
flowcontrol.apiserver.k8s.io/v1beta1: *FlowSchema *PriorityLevelConfiguration
networking.k8s.io/v1: Ingress *IngressClass NetworkPolicy
networking.k8s.io/v1beta1: Ingress *IngressClass
node.k8s.io/v1 node.k8s.io/v1beta1: *RuntimeClass
policy/v1: PodDisruptionBudget
policy/v1beta1: Eviction PodDisruptionBudget *PodSecurityPolicy
rbac.authorization.k8s.io/v1 rbac.authorization.k8s.io/v1beta1: *ClusterRole *ClusterRoleBinding Role RoleBinding
scheduling.k8s.io/v1 scheduling.k8s.io/v1beta1: *PriorityClass
storage.k8s.io/v1: *CSIDriver *CSINode *StorageClass *VolumeAttachment
storage.k8s.io/v1beta1: *CSIDriver *CSINode CSIStorageCapacity *StorageClass *VolumeAttachment
v1: Binding *ComponentStatus ConfigMap Endpoints Event LimitRange *Namespace *Node *PersistentVolume
v1: PersistentVolumeClaim Pod PodTemplate ReplicationController ResourceQuota Secret Service ServiceAccount
"""
_TYPES: dict[tuple[str, str], bool] = {  # (apiVersion, kind) -> cluster-scoped
    (gv, kind.lstrip("*")): kind.startswith("*")
    for line in _BUILTIN.strip().splitlines() for gv in line.split(":")[0].split()
    for kind in line.split(":")[1].split()
}


def schema_for(data: dict[str, Any]) -> dict[str, Any] | None:
    """The merge keys of the object `data`, None for a type without a schema."""
    key = (data.get("apiVersion"), data.get("kind"))
    if key not in _TYPES:
        return None
    return {"metadata": _META, **_ROOTS.get(str(key[1]), {})}


def is_cluster_scoped(api_version: str, kind: str) -> bool:
    """By the built-in schema: the effective namespace patch targets select by."""
    return _TYPES.get((api_version, kind), False)


# --- cluster scope without the schema ------------------------------------------

# kyaml/openapi precomputedIsNamespaceScoped: the (apiVersion, kind) kustomize
# knows to be cluster-scoped. Anything else, custom resources included (a
# cert-manager ClusterIssuer), is namespaced to kustomize and gets `namespace:`.
CLUSTER_SCOPED_TYPES = frozenset(
    [(f"admissionregistration.k8s.io/{v}", k) for v in ("v1", "v1beta1")
     for k in ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")]
    + [("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicy"),
       ("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicyBinding"),
       ("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema"),
       ("flowcontrol.apiserver.k8s.io/v1beta1", "PriorityLevelConfiguration"),
       ("policy/v1beta1", "PodSecurityPolicy"), ("storage.k8s.io/v1", "StorageClass")]
    + [(f"{g}/{v}", k) for g, k in (
        ("apiextensions.k8s.io", "CustomResourceDefinition"), ("apiregistration.k8s.io", "APIService"),
        ("certificates.k8s.io", "CertificateSigningRequest"), ("networking.k8s.io", "IngressClass"),
        ("node.k8s.io", "RuntimeClass"), ("rbac.authorization.k8s.io", "ClusterRole"),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding"), ("scheduling.k8s.io", "PriorityClass"),
        ("storage.k8s.io", "CSIDriver"), ("storage.k8s.io", "CSINode"),
        ("storage.k8s.io", "VolumeAttachment")) for v in ("v1", "v1beta1")]
    + [("storage.k8s.io/v1beta1", "StorageClass")]
    + [("v1", k) for k in ("ComponentStatus", "Namespace", "Node", "NodeProxyOptions", "PersistentVolume")]
)

# Kinds that take no namespace, by kind alone (ClusterIssuer included), for
# callers that place objects in a namespace themselves (Argo CD's destination).
# kustomize's own `namespace:` goes by CLUSTER_SCOPED_TYPES.
CLUSTER_SCOPED_KINDS = frozenset((
    "APIService", "CertificateSigningRequest", "ClusterIssuer", "ClusterRole", "ClusterRoleBinding",
    "ComponentStatus", "CSIDriver", "CSINode", "CustomResourceDefinition", "IngressClass",
    "MutatingWebhookConfiguration", "Namespace", "Node", "PersistentVolume", "PodSecurityPolicy",
    "PriorityClass", "RuntimeClass", "StorageClass", "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding", "ValidatingWebhookConfiguration", "VolumeAttachment",
))
