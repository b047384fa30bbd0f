"""The rule registry: every rule, in code order. Nothing is discovered by import side effect."""

from __future__ import annotations

from linter.rule import Rule
from rules.advertisements import AdvertisementUnknownPool, PoolNotAdvertised
from rules.helm import HelmValuesConflict, HelmValuesInvalid, HelmValuesUnknownKey, HelmWrongChart
from rules.namespace import WrongNamespace
from rules.pools import (PoolAddressInvalid, PoolContainsNodeIp, PoolEmpty, PoolHostBits, PoolOverlap,
                         PoolRangeInvalid)
from rules.rendering import KustomizeError, KustomizeRemoteSkipped, RenderSkipped, VariableUnresolved
from rules.services import (NoPools, PoolExhausted, ServiceClassNotHandled, ServiceIPConflict,
                             ServiceIPNotInPool, ServiceRequestInvalid, ServiceUnknownPool)
from rules.scheduling import (AdvertisementHasNoAnnouncer, ControllerUnschedulable, NodeSelectorMatchesNothing,
                              SpeakerExcludedByLabel, SpeakerMissingToleration, SpeakerSelectsNoNode)
from rules.selector_validity import SelectorInvalid
from rules.suppressions import UnknownSuppression
from rules.syntax import YamlSyntax
from rules.versions import (ApiDeprecated, ApiNotSupported, ComponentVersionMismatch, UnknownAnnotation,
                             UnpinnedVersion, VersionSkew)

REGISTRY: tuple[Rule, ...] = (
    YamlSyntax(),
    KustomizeError(),
    KustomizeRemoteSkipped(),
    RenderSkipped(),
    VariableUnresolved(),
    UnknownSuppression(),
    PoolAddressInvalid(),
    PoolRangeInvalid(),
    PoolHostBits(),
    PoolOverlap(),
    PoolEmpty(),
    PoolContainsNodeIp(),
    SpeakerMissingToleration(),
    SpeakerExcludedByLabel(),
    SpeakerSelectsNoNode(),
    NodeSelectorMatchesNothing(),
    AdvertisementHasNoAnnouncer(),
    ControllerUnschedulable(),
    SelectorInvalid(),
    VersionSkew(),
    ComponentVersionMismatch(),
    UnpinnedVersion(),
    ApiNotSupported(),
    ApiDeprecated(),
    UnknownAnnotation(),
    PoolNotAdvertised(),
    AdvertisementUnknownPool(),
    WrongNamespace(),
    ServiceIPNotInPool(),
    ServiceUnknownPool(),
    ServiceIPConflict(),
    PoolExhausted(),
    ServiceClassNotHandled(),
    ServiceRequestInvalid(),
    NoPools(),
    HelmValuesInvalid(),
    HelmValuesUnknownKey(),
    HelmValuesConflict(),
    HelmWrongChart(),
)


def _check_unique() -> None:
    seen: set[str] = set()
    for rule in REGISTRY:
        for key in (rule.code, rule.name):
            if key in seen:
                raise RuntimeError(f"rule {key} is registered twice")
            seen.add(key)


_check_unique()


def find_rule(name_or_code: str) -> Rule | None:
    """A rule by its code (`ML104`, any case) or its name (`pool-overlap`)."""
    wanted = name_or_code.strip()
    for rule in REGISTRY:
        if wanted.upper() == rule.code or wanted.lower() == rule.name:
            return rule
    return None
