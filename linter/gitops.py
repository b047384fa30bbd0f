"""Flux `Kustomization` and Argo CD `Application` objects, rendered as their controllers do.

A *unit* is one such object whose source is a path of this repository. It
renders that path (a Kustomize directory, or plain manifests), applies its
own fields on top (Flux: targetNamespace, patches, images, prefix/suffix,
commonMetadata, postBuild substitution; Argo CD: the kustomize options and
the destination namespace), and may contain further units, which are
followed in turn. A *root* unit is one no other unit contains; everything
reachable from a root is one target: what one cluster reconciles.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from linter.appset import expand, is_application_set
from linter.discover import KUSTOMIZATION_NAMES, YAML_SUFFIXES
from linter.finding import Location
from linter.kschema import CLUSTER_SCOPED_KINDS
from linter.kustomization import kustomization_file
from linter.kustomize import KustomizeRenderer
from linter.resource import RenderProblem, Resource, data_text, find_object, resources_in
from linter.substitute import substitute
from linter.workspace import Workspace
from linter.yamlpos import YMap, YSeq

FLUX_GROUP = "kustomize.toolkit.fluxcd.io"
ARGO_GROUP = "argoproj.io"


def is_unit(resource: Resource) -> bool:
    return (resource.group == FLUX_GROUP and resource.kind == "Kustomization") or \
        (resource.group == ARGO_GROUP and resource.kind == "Application")


def argo_bucket(resource: Resource) -> str | None:
    """The target an Argo CD Application deploys into: its destination cluster."""
    if resource.group != ARGO_GROUP or resource.kind != "Application":
        return None
    destination = resource.spec.get("destination")
    if not isinstance(destination, YMap):
        return None
    name, server = destination.get("name"), destination.get("server")
    if isinstance(name, str) and name:
        cluster = "in-cluster" if name == "in-cluster" else name
    elif isinstance(server, str) and server:
        cluster = "in-cluster" if server.rstrip("/") == "https://kubernetes.default.svc" else server
    else:
        return None
    return f"argocd:{cluster}"


def unit_key(resource: Resource) -> tuple[str, str, str | None, str | None, str]:
    """Identifies a unit across renders. The file is part of it: every cluster
    folder of a repository has its own `flux-system/metallb` Kustomization."""
    return (resource.group, resource.kind, resource.namespace, resource.name, resource.file)


@dataclass(slots=True)
class Rendered:
    """What one unit deploys, and what could not be evaluated."""

    resources: list[Resource] = field(default_factory=list)
    files: set[str] = field(default_factory=set)
    problems: list[RenderProblem] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)  # repository paths the unit renders


def _clean_path(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    path = posixpath.normpath(value.strip().lstrip("/")) if value.strip() else "."
    return path


class GitOpsRenderer:
    def __init__(self, workspace: Workspace, kustomize: KustomizeRenderer, repository: list[Resource]) -> None:
        self.workspace = workspace
        self.kustomize = kustomize
        self.repository = repository  # every object of every file: where substituteFrom looks
        self.problems: list[RenderProblem] = []  # from expanding ApplicationSets

    # -- plain directories -------------------------------------------------

    def plain_directory(self, path: str, rendered: Rendered) -> list[Resource]:
        """Every manifest under `path`, as Flux reads a path with no kustomization."""
        return self._directory(path, True, rendered)

    def _directory(self, path: str, recurse: bool, rendered: Rendered) -> list[Resource]:
        """Manifests of a directory without a kustomization, as Flux or Argo CD read them."""
        resources: list[Resource] = []
        for name in self.workspace.listdir(path):
            child = posixpath.join(path, name) if path != "." else name
            if self.workspace.is_dir(child):
                if recurse and not name.startswith("."):
                    if kustomization_file(self.workspace, child):
                        built, files = self.kustomize.build(child)
                        resources.extend(built)
                        rendered.files |= files
                    else:
                        resources.extend(self._directory(child, recurse, rendered))
            elif name.endswith(YAML_SUFFIXES) and name not in KUSTOMIZATION_NAMES:
                rendered.files.add(child)
                for document in self.workspace.load(child).documents:
                    resources.extend(resources_in(document.value, child))
        return resources

    def _path(self, owner: Resource, value: object, location: Location, rendered: Rendered,
              recurse: bool, missing_is_error: bool) -> list[Resource] | None:
        path = _clean_path(value)
        joined = self.workspace.join(".", path) if path is not None else None
        if joined is None or not self.workspace.is_dir(joined):
            if missing_is_error:
                rendered.problems.append(RenderProblem(
                    f'{owner.describe()}: path "{value}" is not a directory of this repository', location))
            else:
                rendered.problems.append(RenderProblem(
                    f'{owner.describe()}: path "{value}" is not in this repository (another source?): '
                    "what it deploys is not linted", location, "skipped"))
            return None
        rendered.paths.append(joined)
        if kustomization_file(self.workspace, joined):
            resources, files = self.kustomize.build(joined)
            rendered.files |= files
            return resources
        return self._directory(joined, recurse, rendered)

    # -- Flux --------------------------------------------------------------

    def render_flux(self, unit: Resource) -> Rendered:
        rendered = Rendered()
        spec = unit.spec
        source = spec.get("sourceRef")
        source_kind = source.get("kind") if isinstance(source, YMap) else "GitRepository"
        if source_kind not in (None, "GitRepository"):
            name = source.get("name") if isinstance(source, YMap) else None
            rendered.problems.append(RenderProblem(
                f"{unit.describe()}: its source is {source_kind} {name}, not this repository: "
                "what it deploys is not linted", spec.key_location("sourceRef"), "skipped"))
            return rendered
        own = isinstance(source, YMap) and source.get("name") == "flux-system"
        resources = self._path(unit, spec.get("path", "."), spec.value_location("path"), rendered,
                               recurse=True, missing_is_error=own)
        if resources is None:
            return rendered
        overlay = self._flux_overlay(unit)
        if overlay:
            resources = self._transform(resources, overlay, rendered.paths[0], unit)
        variables, unknown = self._flux_variables(unit)
        post = spec.get("postBuild")
        if isinstance(post, YMap) and (post.get("substitute") or post.get("substituteFrom")):
            resources, unresolved = substitute(resources, variables)
            for item in unresolved:
                why = f" ({unknown})" if unknown else ""
                rendered.problems.append(RenderProblem(
                    f"variable ${{{item.variable}}} has no value in this repository for "
                    f"{unit.describe()}{why}: the value is not checked", item.location, "unresolved"))
        rendered.resources = resources
        return rendered

    def _flux_overlay(self, unit: Resource) -> YMap:
        """Flux's own kustomize fields, as an in-memory kustomization located in the Flux file."""
        spec = unit.spec
        overlay = YMap(unit.file, None, spec.location())
        renames = {"targetNamespace": "namespace", "namePrefix": "namePrefix", "nameSuffix": "nameSuffix",
                   "patches": "patches", "images": "images", "components": "components"}
        for flux_key, kustomize_key in renames.items():
            if flux_key in spec and spec[flux_key] not in (None, "", []):
                overlay[kustomize_key] = spec[flux_key]
                overlay.set_location(kustomize_key, spec.value_location(flux_key))
        metadata = spec.get("commonMetadata")
        if isinstance(metadata, YMap):
            if isinstance(metadata.get("labels"), YMap):
                labels = YMap(unit.file, None, metadata.value_location("labels"))
                labels["pairs"] = metadata["labels"]
                labels["includeSelectors"] = False
                overlay["labels"] = [labels]
            if isinstance(metadata.get("annotations"), YMap):
                overlay["commonAnnotations"] = metadata["annotations"]
                overlay.set_location("commonAnnotations", metadata.value_location("annotations"))
        return overlay

    def _flux_variables(self, unit: Resource) -> tuple[dict[str, str], str]:
        post = unit.spec.get("postBuild")
        variables: dict[str, str] = {}
        unknown: list[str] = []
        if not isinstance(post, YMap):
            return variables, ""
        references = post.get("substituteFrom")
        for reference in references if isinstance(references, list) else []:
            if not isinstance(reference, YMap):
                continue
            kind, name = reference.get("kind"), reference.get("name")
            values, why = self._variables_from(kind, name, unit.namespace)
            if values is None:
                if not reference.get("optional"):
                    unknown.append(why)
                continue
            variables.update(values)
        inline = post.get("substitute")
        if isinstance(inline, YMap):  # the inline values win over substituteFrom
            variables.update({str(k): str(v) for k, v in inline.items() if v is not None})
        return variables, "; ".join(unknown)

    def _variables_from(self, kind: object, name: object, namespace: str | None) -> tuple[dict[str, str] | None, str]:
        found = find_object(self.repository, kind, name, namespace)
        if found is None:
            return None, f"{kind} {name} is not in the repository"
        if "sops" in found.data:
            return None, f"{kind} {name} is encrypted"
        data = found.data.get("data")
        string_data = found.data.get("stringData") if kind == "Secret" else None
        if not isinstance(data, dict) and data is not None or not isinstance(string_data, dict) \
                and string_data is not None:
            return None, f"{kind} {name} has data that is not a mapping"
        data = data or {}
        keys = [*data, *(string_data or {})]
        values: dict[str, str] = {}
        for key in keys:
            text = data_text(found, str(key))
            if text is None and kind == "Secret":
                return None, f"Secret {name} has undecodable data"
            # A ConfigMap value YAML reads as a number or boolean: Flux sees its text.
            values[str(key)] = text if text is not None else str(data.get(key))
        return values, ""

    def _transform(self, resources: list[Resource], overlay: YMap, directory: str,
                   unit: Resource) -> list[Resource]:
        return self.kustomize.transform(resources, overlay, directory, unit.file)

    # -- Argo CD -----------------------------------------------------------

    def render_argo(self, unit: Resource) -> Rendered:
        rendered = Rendered()
        spec = unit.spec
        sources: list[tuple[YMap, Location]] = []
        if isinstance(spec.get("source"), YMap):
            sources.append((spec["source"], spec.value_location("source")))
        listed = spec.get("sources")
        if isinstance(listed, YSeq):
            sources.extend((s, listed.item_location(i)) for i, s in enumerate(listed) if isinstance(s, YMap))
        resources: list[Resource] = []
        for source, location in sources:
            if "path" not in source or source.get("chart"):
                continue  # a Helm chart or a values-only ($ref) source: the Helm issue models these
            directory = source.get("directory")
            recurse = isinstance(directory, YMap) and directory.get("recurse") is True
            found = self._path(unit, source.get("path"), source.value_location("path"), rendered,
                               recurse=recurse, missing_is_error=False)
            if found is None:
                continue
            options = source.get("kustomize")
            if isinstance(options, YMap):
                found = self._transform(found, _argo_overlay(options, unit), rendered.paths[-1], unit)
            resources.extend(found)
        destination = spec.get("destination")
        if isinstance(destination, YMap) and isinstance(destination.get("namespace"), str):
            resources = [_default_namespace(r, destination) for r in resources]
        rendered.resources = resources
        return rendered

    def render(self, unit: Resource) -> Rendered:
        return self.render_flux(unit) if unit.group == FLUX_GROUP else self.render_argo(unit)

    def units(self, resources: list[Resource]) -> list[Resource]:
        """The units among `resources`, with the Applications of ApplicationSets expanded."""
        found: list[Resource] = []
        for resource in resources:
            if is_unit(resource):
                found.append(resource)
            elif is_application_set(resource):
                applications, problems = expand(self.workspace, resource)
                found.extend(applications)
                self.problems.extend(problems)
        return found


def _argo_overlay(options: YMap, unit: Resource) -> YMap:
    """Argo CD's `source.kustomize` options as a kustomization."""
    overlay = YMap(unit.file, None, options.location())
    for key in ("namePrefix", "nameSuffix", "commonLabels", "commonAnnotations", "namespace", "patches",
                "components", "replicas"):
        if key in options:
            overlay[key] = options[key]
            overlay.set_location(key, options.value_location(key))
    images = options.get("images")
    if isinstance(images, YSeq):  # Argo writes images as "name=new:tag" or "name:tag" strings
        converted = YSeq(unit.file, None, images.location())
        converted.locations = []
        for index, text in enumerate(images):
            if isinstance(text, str):
                converted.append(_argo_image(text, unit.file, images.item_location(index)))
                converted.locations.append(images.item_location(index))
        overlay["images"] = converted
    return overlay


def _argo_image(text: str, file: str, location: Location) -> YMap:
    name, _, new = text.partition("=")
    target = new or name
    image = YMap(file, None, location)
    image["name"] = _without_tag(name)
    reference, at, digest = target.partition("@")
    base, colon, tag = reference.rpartition(":") if ":" in reference.rsplit("/", 1)[-1] else (reference, "", "")
    if new and _without_tag(new) != image["name"]:
        image["newName"] = base
    if colon:
        image["newTag"] = tag
    if at:
        image["digest"] = digest
    return image


def _without_tag(image: str) -> str:
    image = image.split("@", 1)[0]
    last = image.rsplit("/", 1)[-1]
    return image[: len(image) - len(last)] + last.split(":", 1)[0]


def _default_namespace(resource: Resource, destination: YMap) -> Resource:
    """Argo CD puts namespaced objects that name no namespace in the destination's."""
    if resource.namespace or resource.kind in CLUSTER_SCOPED_KINDS:
        return resource
    data = resource.data.shallow_copy()
    metadata = resource.metadata.shallow_copy()
    metadata["namespace"] = destination["namespace"]
    metadata.set_location("namespace", destination.value_location("namespace"))
    data["metadata"] = metadata
    return Resource(data, resource.file)
