"""The configuration file: `.metallb-lint.yaml` at the repository root, or
`[tool.metallb-lint]` in its pyproject.toml, or the file given with --config.

Validated against schemas/config.schema.json; every error names the file and
the key, and is a usage error (exit 2) for the CLI.
"""

from __future__ import annotations

import difflib
import fnmatch
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from linter.finding import Finding, Severity

CONFIG_NAMES = (".metallb-lint.yaml", ".metallb-lint.yml")


class ConfigError(Exception):
    """A configuration the linter cannot use; the message names file and key."""


@dataclass(frozen=True, slots=True)
class DeclaredTarget:
    name: str
    paths: tuple[str, ...]
    nodes: tuple[str, ...] = ()  # files declaring its nodes
    distribution: str | None = None


@dataclass(frozen=True, slots=True)
class Environments:
    """Which targets are environments of one installation (beyond sharing a base), and the
    one whose MetalLB version is the reference for the others (linter/versions.py)."""

    reference: str | None = None
    groups: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True, slots=True)
class RuleSettings:
    severity: Severity | None = None  # None: the rule's default
    off: bool = False
    ignore_paths: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Config:
    source: str | None = None  # where it was read, for messages
    targets: tuple[DeclaredTarget, ...] = ()
    rules: dict[str, RuleSettings] = field(default_factory=dict)  # by rule code
    nodes: tuple[str, ...] = ()  # node files for every target
    distribution: str | None = None  # for every target that does not name its own
    distribution_line: int = 1  # where `distribution:` is written, for findings that rest on it
    environments: Environments = field(default_factory=lambda: Environments())

    def target(self, name: str) -> DeclaredTarget | None:
        return next((t for t in self.targets if t.name == name), None)

    def apply(self, findings: Sequence[Finding]) -> list[Finding]:
        """Severity overrides and ignore-paths, applied once before reporting."""
        result = []
        for finding in findings:
            settings = self.rules.get(finding.code)
            if settings is None:
                result.append(finding)
                continue
            if settings.off or any(fnmatch.fnmatch(finding.location.file, glob) for glob in settings.ignore_paths):
                continue
            result.append(replace(finding, severity=settings.severity) if settings.severity else finding)
        return result


def _schema() -> dict[str, Any]:
    try:  # installed: the package linter.schemas
        from importlib.resources import files

        text = files("linter.schemas").joinpath("config.schema.json").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):  # a checkout: schemas/ beside linter/
        text = (Path(__file__).resolve().parent.parent / "schemas" / "config.schema.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _read(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read: {error}") from None
    if path.suffix == ".toml":
        try:
            import tomllib
        except ModuleNotFoundError:  # Python 3.10
            import tomli as tomllib  # type: ignore[no-redef]
        try:
            return tomllib.loads(text).get("tool", {}).get("metallb-lint")
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{path}: invalid TOML: {error}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: invalid YAML: {str(error).splitlines()[0]}") from None


def _where(error: Any) -> str:
    parts = [f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path]
    return "".join(parts).lstrip(".") or "top level"


def _validate(data: Any, source: str) -> None:
    import jsonschema  # deferred: only a repository with a configuration pays for it

    errors = sorted(jsonschema.Draft202012Validator(_schema()).iter_errors(data), key=lambda e: list(e.path))
    if not errors:
        return
    error = errors[0]
    if error.validator == "additionalProperties":
        known = list(error.schema.get("properties", {}))
        unknown = sorted(str(key) for key in set(error.instance) - set(known))  # YAML keys may be any scalar
        hint = difflib.get_close_matches(unknown[0], known, n=1) if unknown else []
        suggestion = f' (did you mean "{hint[0]}"?)' if hint else f"; known keys: {', '.join(known)}"
        raise ConfigError(f'{source}: {_where(error)}: unknown key "{unknown[0] if unknown else "?"}"{suggestion}')
    raise ConfigError(f"{source}: {_where(error)}: {error.message}")


def _rule_settings(data: dict[str, Any], source: str, rule_names: dict[str, str]) -> dict[str, RuleSettings]:
    settings: dict[str, RuleSettings] = {}
    for key, value in (data or {}).items():
        code = rule_names.get(key.upper()) or rule_names.get(key.lower())
        if code is None:
            close = difflib.get_close_matches(key, list(rule_names), n=1)
            hint = f' (did you mean "{close[0]}"?)' if close else ""
            raise ConfigError(f'{source}: rules: unknown rule "{key}"{hint}')
        severity = (value or {}).get("severity")
        settings[code] = RuleSettings(
            severity=Severity.parse(severity) if severity and severity != "off" else None,
            off=severity == "off",
            ignore_paths=tuple((value or {}).get("ignore-paths", ())),
        )
    return settings


def _unquoted_off(data: Any) -> None:
    """YAML 1.1 reads an unquoted `severity: off` as false; it means "off"."""
    rules = data.get("rules") if isinstance(data, dict) else None
    for settings in (rules or {}).values() if isinstance(rules, dict) else ():
        if isinstance(settings, dict) and settings.get("severity") is False:
            settings["severity"] = "off"


def find_config(root: Path) -> Path | None:
    for name in CONFIG_NAMES:
        if (root / name).is_file():
            return root / name
    pyproject = root / "pyproject.toml"
    if pyproject.is_file() and "[tool.metallb-lint" in pyproject.read_text(encoding="utf-8", errors="replace"):
        return pyproject
    return None


def load_config(root: Path, explicit: Path | None, rule_names: dict[str, str]) -> Config:
    """The configuration for `root`; `rule_names` maps every name and code to a code."""
    path = explicit or find_config(root)
    if path is None:
        return Config()
    try:
        source = path.resolve().relative_to(root).as_posix()
    except ValueError:
        source = str(path)
    data = _read(path)
    if data is None:
        return Config(source)
    _unquoted_off(data)
    _validate(data, source)
    targets = tuple(DeclaredTarget(t["name"], tuple(t["paths"]), tuple(t.get("nodes", ())), t.get("distribution"))
                    for t in data.get("targets", ()))
    names = [t.name for t in targets]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise ConfigError(f'{source}: targets: the name "{duplicate}" is declared twice')
    return Config(source, targets, _rule_settings(data.get("rules", {}), source, rule_names),
                  tuple(data.get("nodes", ())), data.get("distribution"), _line_of(path, "distribution:"),
                  _environments(data.get("environments") or {}))


def _environments(data: dict[str, Any]) -> Environments:
    return Environments(data.get("reference"), tuple(tuple(group) for group in data.get("groups", ())))


def _line_of(path: Path, text: str) -> int:
    """The first line holding `text` (the configuration is read without positions)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return 1
    return next((number for number, line in enumerate(lines, 1) if text in line), 1)
