"""linter.addresses reads `addresses` entries the way MetalLB's ParseCIDR does (facts §1).

Expected integers are written from the octets/hex groups here, never computed
with the `ipaddress` module the implementation uses.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fixture_harness import FIXTURES, lint_case
from linter.addresses import Entry, Problem, describe_interval, is_unresolved, parse_entry, parse_ip


def v4(a: int, b: int, c: int, d: int) -> int:
    return a << 24 | b << 16 | c << 8 | d


def v6(*groups: int) -> int:
    """Eight 16-bit groups, most significant first."""
    assert len(groups) == 8
    value = 0
    for group in groups:
        value = value << 16 | group
    return value


DB8 = v6(0x2001, 0x0DB8, 0, 0, 0, 0, 0, 0)  # 2001:db8::
V4_ALL = (1 << 32) - 1
V6_ALL = (1 << 128) - 1

# (entry, version, first, last, masked_network)
VALID = [
    # CIDRs
    ("10.0.0.0/8", 4, v4(10, 0, 0, 0), v4(10, 255, 255, 255), ""),
    ("192.168.10.0/24", 4, v4(192, 168, 10, 0), v4(192, 168, 10, 255), ""),
    ("192.168.1.10/32", 4, v4(192, 168, 1, 10), v4(192, 168, 1, 10), ""),
    ("0.0.0.0/0", 4, 0, V4_ALL, ""),
    ("0.0.0.0/32", 4, 0, 0, ""),
    # Go's dtoi accepts leading zeros in the prefix length.
    ("10.0.0.0/024", 4, v4(10, 0, 0, 0), v4(10, 0, 0, 255), ""),
    ("10.0.0.7/0032", 4, v4(10, 0, 0, 7), v4(10, 0, 0, 7), ""),
    ("fd00:1::/0064", 6, v6(0xFD00, 1, 0, 0, 0, 0, 0, 0), v6(0xFD00, 1, 0, 0, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF), ""),
    # Host bits: valid, masked to the whole network.
    ("192.168.12.100/24", 4, v4(192, 168, 12, 0), v4(192, 168, 12, 255), "192.168.12.0/24"),
    ("10.20.30.40/24", 4, v4(10, 20, 30, 0), v4(10, 20, 30, 255), "10.20.30.0/24"),
    ("203.0.113.9/30", 4, v4(203, 0, 113, 8), v4(203, 0, 113, 11), "203.0.113.8/30"),
    ("10.0.0.1/0", 4, 0, V4_ALL, "0.0.0.0/0"),
    ("fd00::1/64", 6, v6(0xFD00, 0, 0, 0, 0, 0, 0, 0), v6(0xFD00, 0, 0, 0, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF),
     "fd00::/64"),
    ("2001:db8:12::1a/120", 6, v6(0x2001, 0xDB8, 0x12, 0, 0, 0, 0, 0), v6(0x2001, 0xDB8, 0x12, 0, 0, 0, 0, 0xFF),
     "2001:db8:12::/120"),
    # IPv6 CIDRs
    ("2001:db8::/32", 6, DB8, DB8 | (1 << 96) - 1, ""),
    ("2001:db8::1/128", 6, DB8 | 1, DB8 | 1, ""),
    ("FC00::/7", 6, v6(0xFC00, 0, 0, 0, 0, 0, 0, 0), v6(0xFDFF, *[0xFFFF] * 7), ""),
    ("::/0", 6, 0, V6_ALL, ""),
    # Ranges: both halves trimmed, a-a is one address.
    ("10.0.0.1-10.0.0.5", 4, v4(10, 0, 0, 1), v4(10, 0, 0, 5), ""),
    ("10.0.0.1 - 10.0.0.5", 4, v4(10, 0, 0, 1), v4(10, 0, 0, 5), ""),
    (" 10.0.1.1-10.0.1.5 ", 4, v4(10, 0, 1, 1), v4(10, 0, 1, 5), ""),
    ("\t10.0.2.1\t-\t10.0.2.5\t", 4, v4(10, 0, 2, 1), v4(10, 0, 2, 5), ""),
    ("203.0.113.20-203.0.113.20", 4, v4(203, 0, 113, 20), v4(203, 0, 113, 20), ""),
    ("3.3.3.2-3.3.3.254", 4, v4(3, 3, 3, 2), v4(3, 3, 3, 254), ""),
    ("2001:db8::10-2001:db8::99", 6, DB8 | 0x10, DB8 | 0x99, ""),
    ("2001:db8::80-2001:db8::80", 6, DB8 | 0x80, DB8 | 0x80, ""),
    # IPv4-mapped IPv6 ends are IPv4 to Go's ParseIP/To4 and to ipaddr.Summarize.
    ("::ffff:10.0.0.1-10.0.0.5", 4, v4(10, 0, 0, 1), v4(10, 0, 0, 5), ""),
    ("10.0.0.1-::ffff:10.0.0.5", 4, v4(10, 0, 0, 1), v4(10, 0, 0, 5), ""),
]


@pytest.mark.parametrize(("text", "version", "first", "last", "masked"), VALID, ids=[repr(c[0]) for c in VALID])
def test_valid_entry(text: str, version: int, first: int, last: int, masked: str) -> None:
    entry = parse_entry(text)
    assert entry.problem is None, entry.detail
    assert entry.valid
    assert (entry.text, entry.version, entry.first, entry.last) == (text, version, first, last)
    assert entry.masked_network == masked
    assert entry.size == last - first + 1


# (entry, problem, substring of detail or None)
INVALID: list[tuple[object, Problem, str | None]] = [
    # No `-`: must be a CIDR.
    ("192.168.1.10", Problem.BARE_IP, "prefix length"),
    ("fc00::1", Problem.BARE_IP, "prefix length"),
    ("2001:db8::", Problem.BARE_IP, None),
    # A CIDR is not trimmed (config_test.go "duplicate CIDRs" uses " 10.0.0.0/8").
    (" 10.0.0.0/8", Problem.WHITESPACE, "does not trim"),
    ("10.0.0.0/8 ", Problem.WHITESPACE, "does not trim"),
    ("10.0.0.0/8\n", Problem.WHITESPACE, "does not trim"),
    ("10.0.0.0 /8", Problem.WHITESPACE, None),
    (" 192.168.1.10", Problem.WHITESPACE, None),
    # Go >= 1.17 rejects IPv4 octets with leading zeros.
    ("192.168.001.0/24", Problem.LEADING_ZERO, "leading zeros"),
    ("010.020.030.040", Problem.LEADING_ZERO, "leading zeros"),
    ("00.0.0.0/8", Problem.LEADING_ZERO, "leading zeros"),
    # Prefix beyond the family.
    ("1.2.3.0/33", Problem.PREFIX_TOO_LONG, "/33 is longer than the 32 bits"),
    ("2001:db8::/129", Problem.PREFIX_TOO_LONG, "/129 is longer than the 128 bits"),
    ("10.0.0.0/99999999999", Problem.PREFIX_TOO_LONG, None),
    # Garbage.
    ("foo", Problem.INVALID_CIDR, "not an IP address"),
    ("", Problem.INVALID_CIDR, None),
    ("10.0.0.0/24/8", Problem.INVALID_CIDR, "'24/8' is not a number"),
    ("10.0.0.0/255.255.255.0", Problem.INVALID_CIDR, "'255.255.255.0' is not a number"),
    ("10.0.0.0/", Problem.INVALID_CIDR, "'' is not a number"),
    ("10.0.0.0/+8", Problem.INVALID_CIDR, "is not a number"),
    ("10.0.0.0/ 8", Problem.INVALID_CIDR, "is not a number"),
    ("10.0.0.0/\u0662\u0664", Problem.INVALID_CIDR, "is not a number"),  # Arabic-Indic "24": Go wants ASCII
    ("\u0661.2.3.4/32", Problem.INVALID_CIDR, "not an IP address"),
    ("10.0.0.256/24", Problem.INVALID_CIDR, "not an IP address"),
    ("1.2.3/24", Problem.INVALID_CIDR, "not an IP address"),
    ("1.2.3.4.5/32", Problem.INVALID_CIDR, "not an IP address"),
    ("0x0a.0.0.0/8", Problem.INVALID_CIDR, "not an IP address"),
    ("2001:db8::g/64", Problem.INVALID_CIDR, "not an IP address"),
    # IPv6 zones: Go's ParseCIDR and ParseIP refuse them.
    ("fe80::1%eth0/64", Problem.INVALID_CIDR, "zone"),
    ("fe80::1%eth0", Problem.INVALID_CIDR, "zone"),
    # Ranges.
    ("1.2.3.10-1.2.3.1", Problem.RANGE_REVERSED, "start IP 1.2.3.10 is after the end IP 1.2.3.1"),
    ("2001:db8::ff-2001:db8::10", Problem.RANGE_REVERSED, "start IP 2001:db8::ff is after the end IP 2001:db8::10"),
    ("x-1.2.3.4", Problem.RANGE_BAD_START, "invalid start IP 'x'"),
    ("-", Problem.RANGE_BAD_START, "invalid start IP ''"),
    ("lan-pool", Problem.RANGE_BAD_START, "invalid start IP 'lan'"),
    ("192.168.10-192.168.10.50", Problem.RANGE_BAD_START, "invalid start IP '192.168.10'"),
    ("10.0.0.010-10.0.0.20", Problem.RANGE_BAD_START, "invalid start IP '10.0.0.010'"),
    ("10.0.0.0/24-10.0.0.5", Problem.RANGE_BAD_START, "invalid start IP '10.0.0.0/24'"),
    ("fe80::1%eth0-fe80::5", Problem.RANGE_BAD_START, None),
    ("1.2.3.4-y", Problem.RANGE_BAD_END, "invalid end IP 'y'"),
    ("10.0.0.1-10.0.0.5/24", Problem.RANGE_BAD_END, "invalid end IP '10.0.0.5/24'"),
    ("10.0.0.1-", Problem.RANGE_BAD_END, "invalid end IP ''"),
    ("192.168.10.240-250", Problem.RANGE_BAD_END, "invalid end IP '250'"),
    # Split once: the second `-` belongs to the end.
    ("1.2.3.4-5.6.7.8-9.9.9.9", Problem.RANGE_BAD_END, "invalid end IP '5.6.7.8-9.9.9.9'"),
    # Mixed families: Go compares 16-byte forms, IPv4 is ::ffff:a.b.c.d.
    ("192.168.1.1-fc00::1", Problem.RANGE_MIXED_FAMILY, "yields no address"),
    ("::1-10.0.0.1", Problem.RANGE_MIXED_FAMILY, "yields no address"),
    ("fc00::1-192.168.1.1", Problem.RANGE_MIXED_FAMILY, "start IP is after the end IP"),
    ("10.0.0.1-::1", Problem.RANGE_MIXED_FAMILY, "start IP is after the end IP"),
    # Not a string at all (YAML turned it into something else).
    (10, Problem.NOT_A_STRING, "a YAML number"),
    (172.16, Problem.NOT_A_STRING, "a YAML number"),
    (None, Problem.NOT_A_STRING, "a YAML null"),
    (True, Problem.NOT_A_STRING, "a YAML boolean"),
    ({"cidr": "10.0.0.0/8"}, Problem.NOT_A_STRING, "a YAML mapping"),
    (["10.0.0.0/8"], Problem.NOT_A_STRING, "a YAML list"),
]


@pytest.mark.parametrize(("value", "problem", "detail"), INVALID, ids=[repr(c[0]) for c in INVALID])
def test_invalid_entry(value: object, problem: Problem, detail: str | None) -> None:
    entry = parse_entry(value)
    assert entry.problem is problem, (entry.problem, entry.detail)
    assert not entry.valid
    assert entry.size == 0
    assert entry.masked_network == ""
    if detail is not None:
        assert detail in entry.detail
    if isinstance(value, str):
        assert entry.text == value  # reported as written, whitespace included


@pytest.mark.parametrize(("value", "text"), [(10, "10"), (172.16, "172.16"), (None, "null"), (True, "true"),
                                             (False, "false")])
def test_non_string_entry_is_shown_as_yaml_writes_it(value: object, text: str) -> None:
    assert parse_entry(value).text == text


def test_an_invalid_entry_is_never_close_to_a_valid_one() -> None:
    """Invalid entries carry no interval that could be mistaken for addresses."""
    entry = parse_entry("192.168.1.10")
    assert (entry.version, entry.first, entry.last) == (0, 0, -1)


OVERLAPS = [
    # adjacent, not overlapping
    ("10.0.0.0/25", "10.0.0.128/25", False),
    ("10.0.1.0-10.0.1.99", "10.0.1.100-10.0.1.199", False),
    ("192.168.1.100-192.168.1.149", "192.168.1.150-192.168.1.199", False),
    ("fd00:10::/65", "fd00:10:0:0:8000::/65", False),
    # containment, equality, partial
    ("10.0.0.0/24", "10.0.0.128/25", True),
    ("10.0.0.0/8", "10.0.0.0/8", True),
    ("10.0.0.0/8", "10.0.0.0/008", True),
    ("172.16.0.0/24", "172.16.0.250-172.16.1.10", True),
    ("192.168.1.100-192.168.1.150", "192.168.1.150-192.168.1.199", True),
    ("192.168.10.0/24", "192.168.10.200 - 192.168.10.250", True),
    ("10.1.0.0/24", "10.1.0.128/32", True),
    ("2001:db8:1::/64", "2001:db8:1::1000-2001:db8:1::1fff", True),
    ("2001:db8:1::/64", "2001:db8:2::/64", False),
    # host bits widen the CIDR before comparing
    ("192.168.12.100/24", "192.168.12.200-192.168.12.220", True),
    ("192.168.12.100/32", "192.168.12.200-192.168.12.220", False),
    # an IPv4-mapped range end is IPv4
    ("::ffff:10.0.0.1-10.0.0.5", "10.0.0.0/29", True),
    # same integers, different families
    ("10.0.0.0/24", "::a00:0/120", False),
    ("0.0.0.0/0", "::/0", False),
    # invalid entries overlap nothing, not even themselves
    ("10.0.0.5", "10.0.0.0/24", False),
    ("10.0.0.5", "10.0.0.5", False),
    (" 10.0.0.0/24", "10.0.0.0/24", False),
    ("10.0.0.50-10.0.0.10", "10.0.0.0/24", False),
    ("192.168.1.1-fc00::1", "192.168.0.0/16", False),
]


@pytest.mark.parametrize(("a", "b", "expected"), OVERLAPS, ids=[f"{a!r}~{b!r}" for a, b, _ in OVERLAPS])
def test_overlaps_is_symmetric_and_exact(a: str, b: str, expected: bool) -> None:
    left, right = parse_entry(a), parse_entry(b)
    assert left.overlaps(right) is expected
    assert right.overlaps(left) is expected


def test_entry_size() -> None:
    assert parse_entry("10.0.0.0/24").size == 256
    assert parse_entry("10.0.0.1-10.0.0.5").size == 5
    assert parse_entry("203.0.113.20-203.0.113.20").size == 1
    assert parse_entry("2001:db8::/64").size == 1 << 64
    assert parse_entry("0.0.0.0/0").size == 1 << 32


@pytest.mark.parametrize(("text", "described"), [
    ("10.0.0.0/30", "10.0.0.0-10.0.0.3 (4 addresses)"),
    ("192.168.12.100/24", "192.168.12.0-192.168.12.255 (256 addresses)"),
    ("10.0.0.7/32", "10.0.0.7-10.0.0.7 (1 address)"),
    ("2001:db8::10-2001:db8::1f", "2001:db8::10-2001:db8::1f (16 addresses)"),
])
def test_describe_interval(text: str, described: str) -> None:
    assert describe_interval(parse_entry(text)) == described


@pytest.mark.parametrize(("text", "expected"), [
    ("192.168.1.1", "192.168.1.1"),
    ("2001:DB8::1", "2001:db8::1"),
    ("::ffff:10.0.0.1", "10.0.0.1"),  # Go's To4
    ("192.168.001.1", None),
    ("fe80::1%eth0", None),
    (" 192.168.1.1", None),
    ("192.168.1.1/32", None),
    ("", None),
])
def test_parse_ip_is_gos_parse_ip(text: str, expected: str | None) -> None:
    address = parse_ip(text)
    assert (None if address is None else str(address)) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("${LB_RANGE}", True),
    ("${LB_START}-${LB_END}", True),
    ("192.168.${SITE}.0/24", True),
    ("{{ .Values.pool.cidr }}", True),
    ("10.0.0.0/8", False),
    ("$LB_RANGE", False),  # Flux only substitutes ${VAR}
    (None, False),
    (10, False),
])
def test_is_unresolved(value: object, expected: bool) -> None:
    assert is_unresolved(value) is expected


def test_entry_is_hashable_and_comparable() -> None:
    assert parse_entry("10.0.0.0/8") == parse_entry("10.0.0.0/8")
    assert len({parse_entry("10.0.0.0/8"), parse_entry("10.0.0.0/8")}) == 1
    assert parse_entry("10.0.0.0/8") != Entry("10.0.0.0/8", 4, 0, 0)


# What the marker harness cannot see: related locations, and one finding per
# problem when a base is rendered by several Kustomize roots.

def _overlap_findings(case: Path) -> list[object]:
    result = lint_case(case)
    assert result.errors == ()
    return [f for f in result.findings if f.rule == "pool-overlap"]


def test_overlap_with_two_earlier_pools_is_one_finding_relating_both() -> None:
    findings = _overlap_findings(FIXTURES / "pool-overlap" / "fires-when-third-pool-overlaps-two-earlier-pools")
    assert len(findings) == 1
    finding = findings[0]
    assert (finding.location.file, finding.location.line) == ("pools.yaml", 26)  # type: ignore[attr-defined]
    related = [(r.location.file, r.location.line, r.message) for r in finding.related]  # type: ignore[attr-defined]
    assert related == [
        ("pools.yaml", 8, '"10.1.0.0/25" in IPAddressPool "blue" is defined first'),
        ("pools.yaml", 17, '"10.1.0.128/25" in IPAddressPool "green" is defined first'),
    ]


def test_overlap_in_a_shared_base_is_reported_once() -> None:
    case = FIXTURES / "pool-overlap" / "fires-when-base-shared-by-two-overlays-has-an-overlap"
    assert lint_case(case).targets == 2
    findings = _overlap_findings(case)
    assert [(f.location.file, f.location.line) for f in findings] == [("base/pools.yaml", 16)]  # type: ignore[attr-defined]
