"""The references kustomize rewrites once names have changed.

api/filters/nameref with the nameReference field specs
(api/internal/konfig/builtinpluginconsts/namereference.go): at the end of a
build, every field that names an object whose name or namespace changed on
the way (a prefix, `namespace:`, a generator's hash) is made to name it as
it is now. A Deployment
mounting ConfigMap `config` gets `config-8g5c7f4hkt`; a RoleBinding follows
its prefixed Role.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from linter.fieldspec import FieldSpec, fs
from linter.item import Id, Item, TransformError, copy_map, copy_seq

_CONFIGMAP_PATHS = ("volumes/configMap/name", "containers/env/valueFrom/configMapKeyRef/name",
                    "initContainers/env/valueFrom/configMapKeyRef/name", "containers/envFrom/configMapRef/name",
                    "initContainers/envFrom/configMapRef/name", "volumes/projected/sources/configMap/name")
_SECRET_PATHS = ("volumes/secret/secretName", "containers/env/valueFrom/secretKeyRef/name",
                 "initContainers/env/valueFrom/secretKeyRef/name", "containers/envFrom/secretRef/name",
                 "initContainers/envFrom/secretRef/name", "imagePullSecrets/name",
                 "volumes/projected/sources/secret/name")
_POD_SPECS = (("Pod", "spec"), ("PodTemplate", "template/spec"), ("Deployment", "spec/template/spec"),
              ("ReplicaSet", "spec/template/spec"), ("DaemonSet", "spec/template/spec"),
              ("StatefulSet", "spec/template/spec"), ("Job", "spec/template/spec"),
              ("CronJob", "spec/jobTemplate/spec/template/spec"))
_TEMPLATED = (("Pod", "spec"), ("StatefulSet", "spec/template/spec"), ("Deployment", "spec/template/spec"),
              ("ReplicationController", "spec/template/spec"), ("CronJob", "spec/jobTemplate/spec/template/spec"),
              ("Job", "spec/template/spec"), ("DaemonSet", "spec/template/spec"))
_RBAC = "rbac.authorization.k8s.io"


def _in_pods(paths: tuple[str, ...], kinds: tuple[tuple[str, str], ...] = _POD_SPECS) -> list[FieldSpec]:
    # The ConfigMap and Secret lists pin Pod to version v1; the others do not.
    pin = paths in (_CONFIGMAP_PATHS, _SECRET_PATHS)
    return [fs(f"{base}/{path}", kind, version="v1" if pin and kind == "Pod" else "")
            for kind, base in kinds for path in paths]


_ROLE_NAMES = [fs("rules/resourceNames", "Role"), fs("rules/resourceNames", "ClusterRole")]
Target = tuple[str, str, str]  # the referred object's group, version, kind ("" for any)
# (referred group, version, kind) -> the fields that name it (builtinpluginconsts/namereference.go);
# a kustomization's `configurations:` add to it (linter/kustomize_config.py).
NAME_REFERENCES: list[tuple[Target, list[FieldSpec]]] = [
    *((("", "", kind), [fs("spec/scaleTargetRef/name", "HorizontalPodAutoscaler")])
      for kind in ("Deployment", "ReplicationController", "ReplicaSet", "StatefulSet")),
    (("", "v1", "ConfigMap"), _in_pods(_CONFIGMAP_PATHS) + [fs("spec/configSource/configMap", "Node")]
     + _ROLE_NAMES + [fs("metadata/annotations/nginx.ingress.kubernetes.io\\/fastcgi-params-configmap", "Ingress")]),
    (("", "v1", "Secret"), _in_pods(_SECRET_PATHS) + [fs("spec/tls/secretName", "Ingress")]
     + [fs(f"metadata/annotations/{a}", "Ingress") for a in (
         "ingress.kubernetes.io\\/auth-secret", "nginx.ingress.kubernetes.io\\/auth-secret",
         "nginx.ingress.kubernetes.io\\/auth-tls-secret")]
     + [fs("imagePullSecrets/name", "ServiceAccount")]
     + [fs(f"parameters/{p}", "StorageClass") for p in ("secretName", "adminSecretName", "userSecretName",
                                                       "secretRef")]
     + _ROLE_NAMES + [fs("spec/template/spec/containers/env/valueFrom/secretKeyRef/name", "Service",
                         "serving.knative.dev", "v1"), fs("spec/azureFile/secretName", "PersistentVolume")]),
    (("", "v1", "Service"), [fs("spec/serviceName", "StatefulSet", "apps")]
     + [fs(p, "Ingress") for p in ("spec/rules/http/paths/backend/serviceName", "spec/backend/serviceName",
                                   "spec/rules/http/paths/backend/service/name",
                                   "spec/defaultBackend/service/name")]
     + [fs("spec/service/name", "APIService", "apiregistration.k8s.io")]
     + [fs("webhooks/clientConfig/service", kind, "admissionregistration.k8s.io")
        for kind in ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration")]),
    ((_RBAC, "", "Role"), [fs("roleRef/name", "RoleBinding", _RBAC)]),
    ((_RBAC, "", "ClusterRole"), [fs("roleRef/name", kind, _RBAC) for kind in ("RoleBinding", "ClusterRoleBinding")]),
    (("", "v1", "ServiceAccount"), [fs("subjects", kind, _RBAC) for kind in ("RoleBinding", "ClusterRoleBinding")]
     + _in_pods(("serviceAccountName",), _TEMPLATED)),
    (("", "v1", "PersistentVolumeClaim"), _in_pods(("volumes/persistentVolumeClaim/claimName",), _TEMPLATED)),
    (("", "v1", "PersistentVolume"), [fs("spec/volumeName", "PersistentVolumeClaim"),
                                      fs("rules/resourceNames", "ClusterRole")]),
    (("storage.k8s.io", "v1", "StorageClass"), [fs("spec/storageClassName", "PersistentVolume"),
                                                fs("spec/storageClassName", "PersistentVolumeClaim"),
                                                fs("spec/volumeClaimTemplates/spec/storageClassName", "StatefulSet")]),
    (("scheduling.k8s.io", "v1", "PriorityClass"), _in_pods(("priorityClassName",), _TEMPLATED)),
    # kustomize writes this group with its version, so it never matches; kept as it is.
    (("networking.k8s.io/v1", "v1", "IngressClass"), [fs("spec/ingressClassName", "Ingress")]),
    (("admissionregistration.k8s.io", "", "ValidatingAdmissionPolicy"),
     [fs("spec/policyName", "ValidatingAdmissionPolicyBinding", "admissionregistration.k8s.io")]),
]


_MAPPING_PATHS = {("subjects",), ("webhooks", "clientConfig", "service"), ("spec", "configSource", "configMap")}


def _by_referrer_kind(table: list[tuple[Target, list[FieldSpec]]]) -> dict[str, list[tuple[Target, FieldSpec]]]:
    # Builtin specs all name their referrer's kind; a configured one may name none ("" selects any kind).
    index: dict[str, list[tuple[Target, FieldSpec]]] = {}
    for target, specs in table:
        for spec in specs:
            index.setdefault(spec.kind, []).append((target, spec))
    return index


_BUILTIN_BY_REFERRER_KIND = _by_referrer_kind(NAME_REFERENCES)


def _same_ending(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    return len(short) == len(long_) if not short else long_[len(long_) - len(short):] == short


@dataclass(slots=True)
class _Known:
    """An object that may be referred to by an older name: only those kustomize considers."""

    item: Item
    prev: list[Id]
    namespace: str  # effective
    original_namespace: str
    cluster_scoped: bool


def fix_name_references(items: list[Item], table: list[tuple[Target, list[FieldSpec]]] | None = None) -> None:
    """FixBackReferences: every field that names an object whose name or
    namespace changed during the build is made to name it as it is now.
    `table`: the name references to follow, NAME_REFERENCES by default."""
    if not any(item.prev for item in items):
        return  # nothing was renamed or moved: kustomize would change nothing
    everyone = [_Known(item, item.prev_ids(), item.effective_namespace(), item.org_id().namespace,
                       item.cluster_scoped()) for item in items]
    known = [entry for entry in everyone if entry.prev]  # only these can be found by an older name
    by_name: dict[str, list[_Known]] = {}
    for entry in known:
        for name in {i.name for i in entry.prev}:
            by_name.setdefault(name, []).append(entry)
    table = NAME_REFERENCES if table is None else table
    by_referrer_kind = _BUILTIN_BY_REFERRER_KIND if table is NAME_REFERENCES else _by_referrer_kind(table)
    custom = table is not NAME_REFERENCES
    moved = {target for target, _ in table
             if any(i.selected_by(*target) for entry in known for i in entry.prev)}
    # A name field can only change when an object of its kind was renamed;
    # a field holding a name *and* a namespace also when one only moved.
    renamed = {target for target in moved
               if any(i.selected_by(*target) and i.name != entry.item.name for entry in known for i in entry.prev)}
    for referrer in items:
        org = referrer.org_id()
        resolver: _Resolver | None = None
        for target, spec in (*by_referrer_kind.get(org.kind, ()), *by_referrer_kind.get("", ())):
            # A configured path may hold a mapping too: those are followed whenever the object moved.
            if (target in renamed or (target in moved and (spec.path in _MAPPING_PATHS or custom))) \
                    and org.selected_by(spec.group, spec.version, spec.kind):
                resolver = resolver or _Resolver(referrer, everyone, by_name)
                resolver.target, resolver.path = target, spec.path
                referrer.update(spec.path, resolver.set, None)


class _Resolver:
    """nameref.Filter for one referrer."""

    def __init__(self, referrer: Item, everyone: list[_Known], by_name: dict[str, list[_Known]]) -> None:
        self.referrer, self.everyone, self.by_name = referrer, everyone, by_name
        self.target: tuple[str, str, str] = ("", "", "")
        self.path: tuple[str, ...] = ()
        self.cluster_scoped = referrer.cluster_scoped()
        self.namespace = referrer.effective_namespace()
        self.bound: set[str] = set()  # SubsetThatCouldBeReferencedByResource: a RoleBinding's SA namespaces
        subjects = referrer.data.get("subjects") if referrer.kind == "RoleBinding" else None
        if isinstance(subjects, list):
            self.bound = {s["namespace"] for s in subjects if isinstance(s, dict)
                          and s.get("kind") == "ServiceAccount" and isinstance(s.get("namespace"), str)}

    def reachable(self, entry: _Known) -> bool:
        return self.cluster_scoped or entry.cluster_scoped or entry.namespace == self.namespace \
            or entry.item.namespace in self.bound

    def set(self, value: object) -> object:
        if isinstance(value, str):
            return self._scalar(value)
        if isinstance(value, dict):
            return self._mapping(value)
        if isinstance(value, list):
            items = [self._scalar(v) if isinstance(v, str) else self._mapping(v) if isinstance(v, dict) else v
                     for v in value]
            return copy_seq(value, items) if any(a is not b for a, b in zip(items, value)) else value
        return value

    def _scalar(self, name: str) -> object:
        referral = self._select(name, None, with_namespace=False)
        return name if referral is None or referral.name == name else referral.name

    def _mapping(self, node: dict) -> object:  # type: ignore[type-arg]
        name = node.get("name")
        if not isinstance(name, str):
            raise TransformError(f'"{"/".join(self.path)}" names no object: it has no "name" field')
        wanted = node.get("namespace")
        if isinstance(wanted, str):
            # The candidates whose original namespace is the one written, if any
            # object came from there; else those now in it.
            original = any(e.original_namespace == wanted and self.reachable(e) for e in self.everyone)
            referral = self._select(name, (lambda e: e.original_namespace == wanted) if original
                                    else (lambda e: e.namespace == wanted), with_namespace=True)
        else:
            referral = self._select(name, None, with_namespace=True)
        if referral is None or (referral.name == name and not referral.namespace):
            return node
        result = copy_map(node)
        result["name"] = referral.name
        if referral.namespace:
            result["namespace"] = referral.namespace
        return result

    def _select(self, name: str, in_namespace: Callable[[_Known], bool] | None, with_namespace: bool) -> Item | None:
        group, version, kind = self.target
        found = [e for e in self.by_name.get(name, ()) if self.reachable(e)
                 and (in_namespace is None or in_namespace(e))
                 and any(i.selected_by(group, version, kind) for i in e.prev)]
        if self.path[-2:] == ("roleRef", "name"):
            role = self.referrer.data.get("roleRef")
            if isinstance(role, dict) and isinstance(role.get("apiGroup"), str) \
                    and isinstance(role.get("kind"), str):
                found = [e for e in found if any(i.selected_by(role["apiGroup"], "", role["kind"])
                                                 for i in e.prev)]
        if not self.cluster_scoped:
            found = [e for e in found if e.cluster_scoped or e.item.kind == "ServiceAccount"
                     or e.namespace == self.namespace]
        if len(found) == 1:
            return found[0].item
        mine = (self.referrer.prefixes, self.referrer.suffixes)
        candidates = [e.item for e in found]
        candidates = [c for c in candidates if (not c.prefixes or not mine[0] or _same_ending(c.prefixes, mine[0]))
                      and (not c.suffixes or not mine[1] or _same_ending(c.suffixes, mine[1]))]
        if len(candidates) > 1:
            candidates = [c for c in candidates if _same_ending(c.prefixes, mine[0])
                          and _same_ending(c.suffixes, mine[1])]
        if not candidates:
            return None
        first = candidates[0]
        if all((c.name, c.namespace if with_namespace else "") == (first.name, first.namespace if with_namespace
                                                                   else "") for c in candidates):
            return first
        raise TransformError(f'"{name}" in {self.referrer.kind} "{self.referrer.name}" could name '
                             f"{len(candidates)} objects: kustomize refuses to choose")
