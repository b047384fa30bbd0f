"""IPAddressPool `addresses` entries, read the way MetalLB reads them.

Mirrors `ParseCIDR` in metallb/metallb:internal/config/config.go (the same
from v0.13.2 to v0.16.1; facts §1.1), on top of Go's `net.ParseIP` and
`net.ParseCIDR`:

- no `-`: a CIDR, not trimmed; a bare IP is invalid; host bits are masked;
- with `-`: split once, both halves trimmed, each a bare IP; start after end
  is an error; ends of different families summarise to nothing at all.

Each entry becomes an `Entry` with the integer interval(s) it covers, so
overlap is a comparison of intervals (exact, since MetalLB's CIDR
containment test on summarised ranges is the same relation).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from enum import Enum

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_IPV4_LIKE = re.compile(r"^[0-9.]+$")
_DIGITS = re.compile(r"^[0-9]+$")


class Problem(Enum):
    BARE_IP = "bare-ip"
    INVALID_CIDR = "invalid-cidr"
    LEADING_ZERO = "leading-zero"
    WHITESPACE = "whitespace"
    PREFIX_TOO_LONG = "prefix-too-long"
    RANGE_BAD_START = "range-bad-start"
    RANGE_BAD_END = "range-bad-end"
    RANGE_REVERSED = "range-reversed"
    RANGE_MIXED_FAMILY = "range-mixed-family"
    NOT_A_STRING = "not-a-string"


@dataclass(frozen=True, slots=True)
class Entry:
    """One parsed `addresses` entry."""

    text: str
    version: int  # 4 or 6; 0 when unknown
    first: int  # integer value of the first address covered
    last: int
    problem: Problem | None = None
    detail: str = ""
    masked_network: str = ""  # set when a CIDR had host bits: what MetalLB uses

    @property
    def valid(self) -> bool:
        return self.problem is None

    @property
    def size(self) -> int:
        return self.last - self.first + 1 if self.valid else 0

    def overlaps(self, other: Entry) -> bool:
        return (self.valid and other.valid and self.version == other.version
                and self.first <= other.last and other.first <= self.last)


def parse_ip(text: str) -> IPAddress | None:
    """Go's `net.ParseIP`: dotted IPv4 without leading zeros, or IPv6 without zone.

    An IPv4-mapped IPv6 address is returned as the IPv4 address it maps,
    as Go's `To4` does.
    """
    if not text or "%" in text or text != text.strip():
        return None
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _invalid(text: str, problem: Problem, detail: str) -> Entry:
    return Entry(text, 0, 0, -1, problem, detail)


def _why_not_ip(text: str) -> tuple[Problem, str]:
    stripped = text.strip()
    if stripped != text:
        return Problem.WHITESPACE, "whitespace around the address"
    if _IPV4_LIKE.match(text) and any(len(p) > 1 and p.startswith("0") for p in text.split(".")):
        return Problem.LEADING_ZERO, "IPv4 octets must not have leading zeros (Go rejects them since 1.17)"
    if "%" in text:
        return Problem.INVALID_CIDR, "an IPv6 zone (%...) is not allowed"
    return Problem.INVALID_CIDR, "not an IP address"


def _yaml_kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, dict):
        return "mapping"
    if isinstance(value, list):
        return "list"
    return type(value).__name__


def _yaml_text(value: object) -> str:
    """A non-string entry as YAML writes it (`null`, `true`), not as Python does."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def parse_entry(value: object) -> Entry:
    """Parse one `addresses` entry as MetalLB would."""
    if not isinstance(value, str):
        return _invalid(_yaml_text(value), Problem.NOT_A_STRING, f"a YAML {_yaml_kind(value)}, not a string")
    if "-" in value:
        return _parse_range(value)
    return _parse_cidr(value)


def _parse_cidr(text: str) -> Entry:
    if "/" not in text:
        if parse_ip(text.strip()) is not None:
            if text != text.strip():
                return _invalid(text, Problem.WHITESPACE, "whitespace around the entry")
            return _invalid(text, Problem.BARE_IP, "a single address needs a prefix length")
        problem, detail = _why_not_ip(text)
        return _invalid(text, problem, detail)
    address_text, prefix_text = text.split("/", 1)
    if text != text.strip():
        return _invalid(text, Problem.WHITESPACE, "MetalLB does not trim a CIDR entry")
    address = parse_ip(address_text)
    if address is None:
        problem, detail = _why_not_ip(address_text)
        return _invalid(text, problem, detail)
    if not _DIGITS.match(prefix_text):
        return _invalid(text, Problem.INVALID_CIDR, f"prefix length {prefix_text!r} is not a number")
    # An IPv4-mapped IPv6 address keeps the 128-bit length, as in Go.
    max_length = 32 if ":" not in address_text else 128
    prefix = int(prefix_text)
    if prefix > max_length:
        return _invalid(text, Problem.PREFIX_TOO_LONG,
                        f"prefix length /{prefix} is longer than the {max_length} bits of the address")
    if max_length == 128 and address.version == 4:
        address = ipaddress.IPv6Address(int(address) | 0xFFFF00000000)
    network = ipaddress.ip_network(f"{address}/{prefix}", strict=False)
    masked = "" if network.network_address == address else str(network)
    return Entry(text, network.version, int(network.network_address),
                 int(network.broadcast_address), masked_network=masked)


def _parse_range(text: str) -> Entry:
    start_text, end_text = text.split("-", 1)
    start = parse_ip(start_text.strip())
    if start is None:
        return _invalid(text, Problem.RANGE_BAD_START, f"invalid start IP {start_text.strip()!r}")
    end = parse_ip(end_text.strip())
    if end is None:
        return _invalid(text, Problem.RANGE_BAD_END, f"invalid end IP {end_text.strip()!r}")
    if start.version != end.version:
        # Go compares the 16-byte forms: IPv4 (::ffff:a.b.c.d) sorts below
        # most IPv6 addresses, so one order passes and summarises to nothing.
        start_bytes = start.packed if start.version == 6 else b"\0" * 10 + b"\xff\xff" + start.packed
        end_bytes = end.packed if end.version == 6 else b"\0" * 10 + b"\xff\xff" + end.packed
        if start_bytes > end_bytes:
            return _invalid(text, Problem.RANGE_MIXED_FAMILY,
                            "its ends are of different IP families; MetalLB rejects it "
                            "as \"start IP is after the end IP\"")
        return _invalid(text, Problem.RANGE_MIXED_FAMILY,
                        "its ends are of different IP families; MetalLB accepts it "
                        "without error but it yields no address at all")
    if int(start) > int(end):
        return _invalid(text, Problem.RANGE_REVERSED, f"start IP {start} is after the end IP {end}")
    return Entry(text, start.version, int(start), int(end))


def describe_interval(entry: Entry) -> str:
    """`entry` as the addresses it covers, e.g. '10.0.0.0-10.0.0.255 (256 addresses)'."""
    make = ipaddress.IPv4Address if entry.version == 4 else ipaddress.IPv6Address
    count = entry.size
    noun = "address" if count == 1 else "addresses"
    return f"{make(entry.first)}-{make(entry.last)} ({count} {noun})"


def is_unresolved(value: object) -> bool:
    """A value that is not literal yet: a Flux `${VAR}` or a Helm `{{ }}` template."""
    return isinstance(value, str) and ("${" in value or "{{" in value)
