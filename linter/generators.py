"""configMapGenerator and secretGenerator, the name hash, and the references
kustomize rewrites once names have changed.

Follows kustomize v5: api/kv (literals, files, env files), api/internal/
generators (the object made), api/hasher (the `-<hash>` suffix, computed on
the final object at the end of the whole build), resmap's
appendReplaceOrMerge (behavior create/merge/replace against what the bases
generated) and api/filters/nameref with the nameReference field specs (a
Deployment mounting ConfigMap `config` gets `config-8g5c7f4hkt`; a
RoleBinding follows its prefixed Role).

A generated object's `origin` is its generator entry; each data key reports
the literal, file or env-file line it came from.
"""

from __future__ import annotations

import base64
import hashlib
import json
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass

from linter.finding import Location
from linter.transformers import Id, Item, NotFound, TransformError, copy_map, copy_seq, fs, new_map
from linter.workspace import Workspace
from linter.yamlpos import YMap, YSeq

_CONFIGMAP_KEY = re.compile(r"[-._a-zA-Z0-9]+\Z")
_ENV_NAME = re.compile(r"[-._a-zA-Z][-._a-zA-Z0-9]*\Z")


class GeneratorError(Exception):
    def __init__(self, message: str, location: Location) -> None:
        super().__init__(message)
        self.message = message
        self.location = location


@dataclass(frozen=True, slots=True)
class Options:
    labels: dict[str, tuple[str, Location]]
    annotations: dict[str, tuple[str, Location]]
    disable_hash: bool
    immutable: bool
    immutable_at: Location | None


def _pairs(value: object, fallback: Location) -> dict[str, tuple[str, Location]]:
    if not isinstance(value, dict):
        return {}
    return {str(k): (v if isinstance(v, str) else json.dumps(v),
                     value.value_location(k) if isinstance(value, YMap) else fallback)
            for k, v in value.items()}


def merged_options(local: object, global_: object, fallback: Location) -> Options:
    """types.MergeGlobalOptionsIntoLocal: local keys win; a global `true` wins."""
    local_map = local if isinstance(local, dict) else {}
    global_map = global_ if isinstance(global_, dict) else {}
    labels = {**_pairs(global_map.get("labels"), fallback), **_pairs(local_map.get("labels"), fallback)}
    annotations = {**_pairs(global_map.get("annotations"), fallback),
                   **_pairs(local_map.get("annotations"), fallback)}
    immutable_at = None
    for source in (global_map, local_map):
        if source.get("immutable") is True and immutable_at is None:
            immutable_at = source.value_location("immutable") if isinstance(source, YMap) else fallback
    return Options(labels, annotations,
                   global_map.get("disableNameSuffixHash") is True or local_map.get("disableNameSuffixHash") is True,
                   immutable_at is not None, immutable_at)


def _strings(entry: YMap, key: str) -> list[tuple[str, Location]]:
    value = entry.get(key)
    if isinstance(value, str):  # the singular `env:`
        return [(value, entry.value_location(key))]
    if not isinstance(value, YSeq):
        return []
    return [(item if isinstance(item, str) else str(item), value.item_location(index))
            for index, item in enumerate(value) if item is not None]


def _remove_quotes(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


class _Reader:
    """Reads generator sources inside the repository, never outside it."""

    def __init__(self, workspace: Workspace, directory: str, files: set[str]) -> None:
        self.workspace, self.directory, self.files = workspace, directory, files

    def read(self, entry: str, location: Location) -> tuple[str, bytes]:
        path = self.workspace.join(self.directory, entry)
        if path is None:
            raise GeneratorError(f'"{entry}" leaves the repository root: it is never read', location)
        if not self.workspace.is_file(path):
            raise GeneratorError(f'generator source "{entry}" does not exist: kustomize refuses to build it',
                                 location)
        self.files.add(path)
        try:
            return path, (self.workspace.root / path).read_bytes()
        except OSError as error:
            raise GeneratorError(f'generator source "{entry}" cannot be read: {error.strerror}', location) \
                from None


def _load_pairs(entry: YMap, reader: _Reader) -> list[tuple[str, bytes, Location]]:
    """kv.Load: env files, then literals, then files, in that order."""
    pairs: list[tuple[str, bytes, Location]] = []
    for source, location in _strings(entry, "envs") + _strings(entry, "env"):
        path, content = reader.read(source, location)
        for number, raw in enumerate(content.split(b"\n"), 1):
            line = raw[:-1] if raw.endswith(b"\r") else raw  # bufio.ScanLines drops one \r
            if number == 1 and line.startswith(b"\xef\xbb\xbf"):
                line = line[3:]
            text = line.decode("utf-8", "replace").lstrip()
            if not text or text.startswith("#"):
                continue
            key, _, value = text.partition("=")
            if not _ENV_NAME.match(key):
                raise GeneratorError(f'"{key}" in {source} is not a valid environment variable name', location)
            pairs.append((key, value.encode("utf-8"), Location(path, number, 1)))
    for literal, location in _strings(entry, "literals"):
        key, equals, value = literal.partition("=")
        if not equals or not key:
            raise GeneratorError(f'invalid literal source "{literal}", expected key=value', location)
        pairs.append((key, _remove_quotes(value).encode("utf-8"), location))
    for source, location in _strings(entry, "files"):
        key, path_text = posixpath.basename(source), source
        if "=" in source:
            parts = source.split("=")
            if len(parts) != 2 or not parts[0] or not parts[1]:
                raise GeneratorError(f'file source "{source}" must be [key=]path', location)
            key, path_text = parts
        path, content = reader.read(path_text, location)
        pairs.append((key, content, Location(path, 1, 1)))
    return pairs


def generate(kind: str, entry: YMap, location: Location, options: YMap | None, workspace: Workspace,
             directory: str, kustomization: str, files: set[str]) -> Item:
    """One configMapGenerator/secretGenerator entry as kustomize makes it
    (before its hash suffix, which only the end of the build adds)."""
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        raise GeneratorError(f"a {kind} generator needs a name", location)
    opts = merged_options(entry.get("options"), options, location)
    data: dict[str, tuple[bytes, Location]] = {}
    for key, value, where in _load_pairs(entry, _Reader(workspace, directory, files)):
        if not _CONFIGMAP_KEY.match(key):
            raise GeneratorError(f'"{key}" is not a valid {kind} key', where)
        if key in data:
            raise GeneratorError(f'{kind} {name} repeats the key "{key}"', where)
        data[key] = (value, where)
    obj, metadata = new_map(location), new_map(location)
    obj["apiVersion"], obj["kind"], obj["metadata"] = "v1", kind, metadata
    metadata["name"] = name
    namespace = entry.get("namespace")
    if isinstance(namespace, str) and namespace:
        metadata["namespace"] = namespace
        metadata.set_location("namespace", entry.value_location("namespace"))
    if kind == "Secret":
        secret_type = entry.get("type")
        obj["type"] = secret_type if isinstance(secret_type, str) and secret_type else "Opaque"
        obj["data"] = _data_map(data, location, _base64_lines)
    else:
        text = {k: v for k, v in data.items() if _utf8(v[0])}
        binary = {k: v for k, v in data.items() if k not in text}
        if text:
            obj["data"] = _data_map(text, location, bytes.decode)
        if binary:
            obj["binaryData"] = _data_map(binary, location, _base64_lines)
    for field, pairs in (("labels", opts.labels), ("annotations", opts.annotations)):
        if pairs:
            metadata[field] = _data_map({k: (v.encode(), loc) for k, (v, loc) in pairs.items()}, location,
                                        bytes.decode)
    if opts.immutable:
        obj["immutable"] = True
        obj.set_location("immutable", opts.immutable_at or location)
    behavior = entry.get("behavior")
    return Item(obj, kustomization, needs_hash=not opts.disable_hash,
                behavior=behavior if isinstance(behavior, str) else "")


def _utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _data_map(data: dict[str, tuple[bytes, Location]], location: Location,
              encode: Callable[[bytes], str]) -> YMap:
    result = new_map(location)
    for key in sorted(data):
        raw, where = data[key]
        result[key] = encode(raw)
        result.set_location(key, where)
    return result


def _base64_lines(raw: bytes) -> str:
    """kyaml encodeBase64: lines of 70 characters, each ended by a newline once there are several."""
    encoded = base64.b64encode(raw).decode("ascii")
    if len(encoded) < 70:
        return encoded
    return "".join(encoded[i:i + 70] + "\n" for i in range(0, len(encoded), 70))


# --- behavior: create, merge, replace --------------------------------------

def absorb(items: list[Item], generated: Item) -> None:
    """appendReplaceOrMerge: a generated object joins what is accumulated."""
    cur = generated.cur_id()
    matches = [i for i, item in enumerate(items) if any(cur == other for other in item.any_ids())]
    behavior = generated.behavior or "create"
    if behavior not in ("create", "merge", "replace"):
        raise TransformError(f'unknown generator behavior "{behavior}" (create, merge or replace)')
    if not matches:
        if behavior != "create":
            raise NotFound(f'{generated.kind} "{generated.name}" does not exist in the bases: '
                                 f"cannot {behavior} it")
        items.append(generated)
        return
    if len(matches) > 1 or behavior == "create":
        raise TransformError(f'{generated.kind} "{generated.name}" already exists: '
                             "behavior must be merge or replace")
    old = items[matches[0]]
    data = copy_map(generated.data)
    metadata = copy_map(generated.data.get("metadata") or new_map(None))
    old_metadata = old.metadata
    for field in ("labels", "annotations"):
        merged = _merge_maps(old_metadata.get(field), metadata.get(field))
        if merged is not None:
            metadata[field] = merged
    for field in ("name", "namespace"):
        if field in old_metadata:
            metadata[field] = old_metadata[field]
            if isinstance(metadata, YMap) and isinstance(old_metadata, YMap):
                metadata.set_location(field, old_metadata.value_location(field))
        else:
            metadata.pop(field, None)
    data["metadata"] = metadata
    if behavior == "merge":
        if isinstance(data, YMap):
            data.origin = old.data.location()  # the object is still the one the base made
        for field in ("data", "binaryData"):
            merged = _merge_maps(old.data.get(field), generated.data.get(field))
            if merged is not None:
                data[field] = merged
    items[matches[0]] = Item(data, old.file if behavior == "merge" else generated.file, old.prev, old.prefixes,
                             old.suffixes,
                             generated.needs_hash and old.needs_hash, old.behavior)


def _merge_maps(old: object, new: object) -> YMap | None:
    if not isinstance(old, dict) or not old:
        return new if isinstance(new, YMap) else None
    result = copy_map(old)
    for key, value in (new.items() if isinstance(new, dict) else ()):
        result[key] = value
        if isinstance(result, YMap) and isinstance(new, YMap):
            result.set_location(key, new.value_location(key))
    return result  # type: ignore[return-value]


# --- the hash suffix ----------------------------------------------------------

def _go_json(value: object) -> str:
    """encoding/json.Marshal: sorted keys, no spaces, HTML characters escaped."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                          ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return text


def content_hash(data: dict) -> str:  # type: ignore[type-arg]
    """api/hasher: the 10 characters kustomize appends to a generated name."""
    def field(key: str) -> object:
        value = data.get(key)
        return "" if value is None else value

    kind = data.get("kind")
    # kustomize looks the name up as one field literally called "metadata/name",
    # finds nothing and hashes "": the hash never depends on the name.
    encoded: dict[str, object] = {"kind": kind, "name": "", "data": field("data")}
    if kind == "ConfigMap" and isinstance(data.get("binaryData"), dict):
        encoded["binaryData"] = data["binaryData"]
    if kind == "Secret":
        encoded["type"] = field("type")
        if isinstance(data.get("stringData"), dict):
            encoded["stringData"] = data["stringData"]
    digest = hashlib.sha256(_go_json(encoded).encode("utf-8")).hexdigest()[:10]
    return digest.translate(str.maketrans("013ae", "ghkmt"))


def add_hash(item: Item) -> None:
    suffix = content_hash(item.data)
    item.store_previous()
    item.update(("metadata", "name"), lambda old: f"{old}-{suffix}", None)


# --- name references (api/filters/nameref) -----------------------------------

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


def _in_pods(paths: tuple[str, ...], kinds: tuple[tuple[str, str], ...] = _POD_SPECS) -> list:  # type: ignore[type-arg]
    # The ConfigMap and Secret lists pin Pod to version v1; the others do not.
    pin = paths in (_CONFIGMAP_PATHS, _SECRET_PATHS)
    return [fs(f"{base}/{path}", kind, version="v1" if pin and kind == "Pod" else "")
            for kind, base in kinds for path in paths]


_ROLE_NAMES = [fs("rules/resourceNames", "Role"), fs("rules/resourceNames", "ClusterRole")]
# (referred group, version, kind) -> the fields that name it (builtinpluginconsts/namereference.go).
NAME_REFERENCES: list[tuple[tuple[str, str, str], list]] = [  # type: ignore[type-arg]
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
_BY_REFERRER_KIND: dict[str, list] = {}  # type: ignore[type-arg]  # every spec names its referrer's kind
for _target, _specs in NAME_REFERENCES:
    for _spec in _specs:
        _BY_REFERRER_KIND.setdefault(_spec.kind, []).append((_target, _spec))


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


def fix_name_references(items: list[Item]) -> None:
    """FixBackReferences: every field that names an object whose name or
    namespace changed during the build is made to name it as it is now."""
    if not any(item.prev for item in items):
        return  # nothing was renamed or moved: kustomize would change nothing
    everyone = [_Known(item, item.prev_ids(), item.effective_namespace(), item.org_id().namespace,
                       item.cluster_scoped()) for item in items]
    known = [entry for entry in everyone if entry.prev]  # only these can be found by an older name
    by_name: dict[str, list[_Known]] = {}
    for entry in known:
        for name in {i.name for i in entry.prev}:
            by_name.setdefault(name, []).append(entry)
    moved = {target for target, _ in NAME_REFERENCES
             if any(i.selected_by(*target) for entry in known for i in entry.prev)}
    # A name field can only change when an object of its kind was renamed;
    # a field holding a name *and* a namespace also when one only moved.
    renamed = {target for target in moved
               if any(i.selected_by(*target) and i.name != entry.item.name for entry in known for i in entry.prev)}
    for referrer in items:
        org = referrer.org_id()
        resolver: _Resolver | None = None
        for target, spec in _BY_REFERRER_KIND.get(org.kind, ()):
            if (target in renamed or (target in moved and spec.path in _MAPPING_PATHS)) \
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
