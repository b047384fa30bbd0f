"""Do the pools hold enough addresses for every Service of a target (facts §1.3-§1.5, §6.1)?

A replay of MetalLB's allocator over counts instead of addresses: the
requested addresses are taken first (a shared one once), then Services that
name a pool, then the others, through the pools `Allocate` would try
(pinned `serviceAllocation` pools by priority, then auto-assign pools
without `serviceAllocation`). A Service may join an address already taken
when `sharingOK` and the port check would accept it. The real order of
Services is the informer's, so which Service is left out is arbitrary: the
finding goes to the last one in the files and says "one of them".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from linter.finding import Location
from linter.service_pools import PoolFacts, ServiceContext, auto_pools, compatible, sharing_problem
from linter.services import LBService

_NAMES = {4: "IPv4", 6: "IPv6"}


@dataclass(slots=True)
class _Slot:
    """One address in use: the Services on it."""

    family: int
    services: list[LBService] = field(default_factory=list)
    address: object = None  # the requested address, for a slot taken by a request

    def accepts(self, service: LBService) -> bool:
        return all(sharing_problem(other, service) is None for other in self.services)


@dataclass(frozen=True, slots=True)
class Shortfall:
    service: LBService
    location: Location
    message: str


class _Ledger:
    def __init__(self) -> None:
        self.slots: dict[int, list[_Slot]] = {}  # id(pool) -> its addresses in use
        self.fixed: dict[int, int] = {}  # id(pool) -> addresses taken by requests

    def used(self, pool: PoolFacts, family: int) -> int:
        return sum(1 for s in self.slots.get(id(pool), []) if s.family == family)

    def take(self, pool: PoolFacts, service: LBService, family: int, dry: bool = False) -> bool:
        for slot in self.slots.get(id(pool), []):
            if slot.family == family and slot.accepts(service):
                if not dry:
                    slot.services.append(service)
                return True
        if self.used(pool, family) >= pool.capacity(family):
            return False
        if not dry:
            self.slots.setdefault(id(pool), []).append(_Slot(family, [service]))
        return True

    def serve(self, pool: PoolFacts, service: LBService) -> bool:
        """Give `service` its address(es) from `pool` if the pool has room."""
        family = service.service_family
        if family == "dual":
            if not (self.take(pool, service, 4, dry=True) and self.take(pool, service, 6, dry=True)):
                return False
            return self.take(pool, service, 4) and self.take(pool, service, 6)
        options = (int(family),) if family in ("4", "6") else (4, 6)  # unknown: either will do
        return any(self.take(pool, service, f) for f in options)

    def describe(self, pool: PoolFacts, families: tuple[int, ...]) -> str:
        parts = []
        for family in families:
            capacity = pool.capacity(family)
            if not capacity:
                continue
            slots = [s for s in self.slots.get(id(pool), []) if s.family == family]
            fixed = self.fixed.get(id(pool) * 10 + family, 0)
            names = sorted({s.display for slot in slots for s in slot.services})
            shown = ", ".join(names[:4]) + (", ..." if len(names) > 4 else "")
            parts.append(f"{capacity} {_NAMES[family]} address{'es' if capacity != 1 else ''}, "
                         f"{fixed} requested explicitly, all used by {shown}")
        detail = "; ".join(parts) if parts else f"no {'/'.join(_NAMES[f] for f in families)} address"
        return f'pool "{pool.name}" ({detail})'


def _families(service: LBService) -> tuple[int, ...]:
    family = service.service_family
    return {"4": (4,), "6": (6,), "dual": (4, 6)}.get(family or "", (4, 6))


def _wanted(service: LBService) -> str:
    family = service.service_family
    return {"4": "an IPv4 address", "6": "an IPv6 address", "dual": "an IPv4 and an IPv6 address from one pool"
            }.get(family or "", "an address")


def _requested(context: ServiceContext, ledger: _Ledger, service: LBService) -> None:
    holder = context.holder(service)
    if holder is None or compatible(holder, service, context.namespaces) is False:
        return
    slots = ledger.slots.setdefault(id(holder), [])
    for ip in service.ips:
        assert ip.address is not None
        key = id(holder) * 10 + ip.address.version
        same = next((s for s in slots if s.address == ip.address), None)
        if same is None:
            same = _Slot(ip.address.version, address=ip.address)
            slots.append(same)
            ledger.fixed[key] = ledger.fixed.get(key, 0) + 1
        same.services.append(service)


def shortfalls(context: ServiceContext) -> list[Shortfall]:
    ledger = _Ledger()
    named: list[LBService] = []
    automatic: list[LBService] = []
    for service in context.services:
        if service.ips:
            if service.requested_family is not None:
                _requested(context, ledger, service)
        elif service.pool is not None and service.pool.value:
            named.append(service)
        else:
            automatic.append(service)
    found: list[Shortfall] = []
    for service in named:
        assert service.pool is not None
        pool = context.by_name(str(service.pool.value))
        if pool is None or ledger.serve(pool, service):
            continue
        found.append(Shortfall(service, service.pool.location, (
            f"{service.describe()}: {service.pool_key} asks for {_wanted(service)} from "
            f"{ledger.describe(pool, _families(service))}; "
            f'one of these Services stays Pending ("no available IPs in pool {pool.name}")')))
    any_auto = any(p.auto_assign for p in context.pools)
    for service in automatic:
        pools = auto_pools(service, list(context.pools), context.namespaces, context.version)
        if pools.uncertain or not any_auto:
            continue  # unknown, or no-pools' finding
        candidates = pools.pinned + pools.fallback
        if any(ledger.serve(pool, service) for pool in candidates):
            continue
        assert service.type_location is not None
        if not candidates:
            why, who = ("no auto-assign pool admits it: the others are reserved by serviceAllocation or "
                        "have autoAssign: false"), "the Service stays"
        elif not any(any(p.capacity(f) for f in _families(service)) for p in candidates) \
                or (service.service_family == "dual" and not any(p.capacity(4) and p.capacity(6) for p in candidates)):
            need = "both IPv4 and IPv6 addresses" if service.service_family == "dual" \
                else f"{_NAMES[_families(service)[0]]} addresses"
            why, who = f"no pool it may use has {need}: " + ", ".join(
                f'pool "{p.name}" ({"/".join(_NAMES[f] for f in sorted(p.families()))})' for p in candidates), \
                "the Service stays"
        else:
            why, who = "the pools it may use are full: " + "; ".join(
                ledger.describe(p, _families(service)) for p in candidates), "one of these Services stays"
        found.append(Shortfall(service, service.type_location, (
            f'{service.describe()} needs {_wanted(service)} automatically, but {why}; MetalLB answers '
            f'"no available IPs" and {who} Pending')))
    return found
