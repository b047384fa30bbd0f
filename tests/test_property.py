"""Property tests: whatever a repository holds, `lint()` returns findings and never raises.

Two generators: arbitrary bytes in a `.yaml` file, and YAML-ish text built
from MetalLB-like documents (pools and advertisements with addresses drawn
from a grammar of IPv4/IPv6/CIDR/range pieces and junk), damaged at random.
Every finding and every related note must point inside the file it names,
with 1-based lines and columns.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import yaml
import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from linter.engine import Result, lint
from linter.finding import Location
from linter.loader import load_file
from rules import REGISTRY

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))

# Line breaks as YAML (and libyaml, whose marks the locations come from) counts them.
_YAML_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")


def _check_location(location: Location, root: Path, files: dict[str, bytes]) -> None:
    assert location.file in files, location
    assert location.line >= 1 and location.column >= 1, location
    text = load_file(root, location.file).text  # the text the linter read ('' when undecodable)
    if text:
        lines = _YAML_BREAK.split(text)
        if lines[-1] == "" and len(lines) > 1:
            lines.pop()  # a final line break does not start a line
        assert location.line <= len(lines), (location, len(lines))
        assert location.column <= len(lines[location.line - 1]) + 1, (location, lines[location.line - 1])
    else:
        data = files[location.file]
        assert location.line <= data.count(b"\n") + 1, location
        assert location.column == 1, location


def check(files: dict[str, bytes]) -> Result:
    """Lint `files` (relative path -> content) in a fresh directory; check every location."""
    with tempfile.TemporaryDirectory(prefix="metallb-lint-property-") as name:
        root = Path(name)
        for relative, data in files.items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        result = lint(root, [root], REGISTRY)
        assert result.errors == (), result.errors
        for finding in result.findings:
            _check_location(finding.location, root, files)
            for related in finding.related:
                _check_location(related.location, root, files)
            assert finding.fingerprint
    return result


# -- random bytes -------------------------------------------------------------

_BOMS = st.sampled_from([b"", b"", b"", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xff\xfe\x00\x00"])


@SETTINGS
@given(bom=_BOMS, data=st.binary(max_size=600))
def test_random_bytes_never_crash(bom: bytes, data: bytes) -> None:
    check({"random.yaml": bom + data})


@SETTINGS
@given(text=st.text(max_size=400), junk=st.binary(max_size=8), position=st.integers(0, 400))
def test_random_text_never_crashes(text: str, junk: bytes, position: int) -> None:
    data = text.encode("utf-8", "surrogatepass")
    position = min(position, len(data))
    check({"text.yaml": data[:position] + junk + data[position:]})


# -- MetalLB-like documents -----------------------------------------------------

_junk = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
_octet = st.one_of(
    st.integers(0, 255).map(str),
    st.integers(0, 255).map(str),
    st.sampled_from(["256", "999", "01", "00", "-1", "", "x", "1e3", "0x1"]),
)
_ipv4 = st.one_of(
    st.lists(_octet, min_size=4, max_size=4).map(".".join),
    st.lists(_octet, min_size=1, max_size=6).map(".".join),
)
_group = st.one_of(st.integers(0, 0xFFFF).map(lambda n: f"{n:x}"), st.sampled_from(["", "0", "g", "fffff", "FFFF"]))
_ipv6 = st.one_of(
    st.lists(_group, min_size=8, max_size=8).map(":".join),
    st.tuples(st.lists(_group, max_size=4), st.lists(_group, max_size=4)).map(
        lambda t: ":".join(t[0]) + "::" + ":".join(t[1])),
    st.sampled_from(["::", "::1", "fe80::1%eth0", "::ffff:192.168.1.1", ":::", "2001:db8::/"]),
    st.lists(_group, min_size=1, max_size=10).map(":".join),
)
_ip = st.one_of(_ipv4, _ipv6)
_prefix = st.one_of(st.integers(0, 33).map(str), st.integers(0, 129).map(str),
                    st.sampled_from(["", "-1", "x", "24/24", "0x18", " 24"]))
_cidr = st.builds(lambda ip, prefix: f"{ip}/{prefix}", _ip, _prefix)
_range = st.builds(lambda a, b, space: f"{a}{space}-{space}{b}", st.one_of(_ip, _cidr), _ip,
                   st.sampled_from(["", "", " ", "  ", "\t"]))
_common = st.sampled_from(["192.168.10.0/24", "192.168.10.0/25", "192.168.10.200-192.168.10.250",
                           "192.168.10.7/24", "192.168.10.20 - 192.168.10.10", "10.0.0.0/8", "10.1.2.3/32",
                           "fd00::/64", "fd00::10-fd00::20", "192.168.10.1-fd00::1", "192.168.10.300/24"])
_address = st.one_of(_ipv4, _ipv6, _cidr, _cidr, _range, _range, _junk, _common, _common,
                     st.sampled_from(["${POOL_RANGE}", "{{ .Values.range }}", "10.0.0.0/8", "0.0.0.0/0", "::/0"]))
_scalar = st.one_of(st.none(), st.booleans(), st.integers(-5, 2**70), st.floats(allow_nan=True), _junk)
_address_list = st.one_of(
    st.lists(st.one_of(_address, _address, _address, _scalar), max_size=6),
    _address, _scalar, st.dictionaries(_junk, _address, max_size=2),
)
_name = st.one_of(st.sampled_from(["lan", "wan", "pool-a", "pool-b", "LAN", ""]), _junk, st.none(), st.integers())
_namespace = st.one_of(st.sampled_from(["metallb-system", "metallb", "default"]), _junk, st.none())
_labels = st.one_of(
    st.dictionaries(st.sampled_from(["tier", "zone", "app", ""]), st.sampled_from(["edge", "core", "a", ""]),
                    max_size=2),
    _scalar,
)
_expression = st.fixed_dictionaries(
    {"key": st.one_of(st.sampled_from(["tier", "zone"]), _scalar)},
    optional={
        "operator": st.one_of(st.sampled_from(["In", "NotIn", "Exists", "DoesNotExist", "Gt", "in"]), _scalar),
        "values": st.one_of(st.lists(st.sampled_from(["edge", "core", ""]), max_size=3), _scalar),
    },
)
_selector = st.one_of(
    st.fixed_dictionaries({}, optional={"matchLabels": _labels,
                                        "matchExpressions": st.one_of(st.lists(_expression, max_size=2), _scalar)}),
    _scalar,
)
_spec = st.fixed_dictionaries({}, optional={
    "addresses": _address_list,
    "autoAssign": st.one_of(st.booleans(), _scalar),
    "avoidBuggyIPs": st.booleans(),
    "ipAddressPools": st.one_of(st.lists(_name, max_size=3), _scalar),
    "ipAddressPoolSelectors": st.one_of(st.lists(_selector, max_size=2), _scalar),
    "nodeSelectors": st.one_of(st.lists(_selector, max_size=2), _scalar),
    "interfaces": st.lists(st.sampled_from(["eth0", "bond0"]), max_size=2),
    "protocol": st.sampled_from(["layer2", "bgp", "x"]),
})
_metadata = st.one_of(
    st.fixed_dictionaries({}, optional={"name": _name, "namespace": _namespace, "labels": _labels,
                                        "annotations": st.dictionaries(_junk, _junk, max_size=1)}),
    _scalar,
)
_api_version = st.one_of(
    st.just("metallb.io/v1beta1"), st.just("metallb.io/v1beta1"), st.just("metallb.io/v1beta1"),
    st.sampled_from(["metallb.io/v1beta2", "metallb.io/v1alpha1", "v1", "metallb.io/"]), _scalar,
)
_config_metadata = st.one_of(
    st.fixed_dictionaries({"name": _name}, optional={"namespace": _namespace, "labels": _labels}),
    st.fixed_dictionaries({"name": st.sampled_from(["lan", "wan", "pool-a"]),
                           "namespace": st.just("metallb-system")}),
    _metadata,
)
# Mostly well-formed pools and advertisements (so that the rules get to look
# at the addresses), some documents of any shape.
_pool = st.fixed_dictionaries({
    "apiVersion": _api_version,
    "kind": st.sampled_from(["IPAddressPool", "IPAddressPool", "IPAddressPool", "AddressPool"]),
    "metadata": _config_metadata,
    "spec": st.one_of(
        st.fixed_dictionaries({"addresses": st.lists(st.one_of(_common, _address), min_size=1, max_size=5)}),
        st.fixed_dictionaries({"addresses": st.lists(_address, max_size=5)}),
        _spec,
    ),
})
_advertisement = st.fixed_dictionaries({
    "apiVersion": _api_version,
    "kind": st.sampled_from(["L2Advertisement", "L2Advertisement", "BGPAdvertisement"]),
    "metadata": _config_metadata,
}, optional={"spec": _spec})
_any_document = st.one_of(
    st.fixed_dictionaries(
        {
            "apiVersion": _api_version,
            "kind": st.one_of(st.sampled_from(["IPAddressPool", "L2Advertisement", "BGPAdvertisement",
                                               "AddressPool", "BGPPeer", "Service", "DaemonSet"]), _scalar),
        },
        optional={"metadata": _metadata, "spec": st.one_of(_spec, _spec, _scalar)},
    ),
    _scalar,
    st.lists(_scalar, max_size=3),
)
_kustomization = st.fixed_dictionaries({}, optional={
    "resources": st.one_of(st.lists(st.sampled_from(["pools.yaml", "base", "../base", "missing.yaml",
                                                     "github.com/metallb/metallb/config/native?ref=v0.14.8",
                                                     "/etc/passwd", "."]), max_size=4), _scalar),
    "namespace": _namespace,
    "bases": st.one_of(st.lists(st.sampled_from(["base", "."]), max_size=2), _scalar),
})

# Damage: text inserted where YAML is most sensitive.
_DAMAGE = ["", ":", ": ", "- ", "\t", "{", "}", "[", "]", "&a ", "*a", "<<: *a\n", "\n  ", "\n---\n", "#", "'",
           '"', "!!python/object:os.system ", "!Custom ", "? ", "|\n", "%YAML 1.1\n", "\\", "\ufeff", "\x85",
           "\u2028", "\r", "é", "…"]


@st.composite
def _documents(draw: Any) -> list[Any]:
    """Some pools, some advertisements, some anything, in any order."""
    docs = (draw(st.lists(_pool, min_size=1, max_size=3)) + draw(st.lists(_advertisement, max_size=2))
            + draw(st.lists(_any_document, max_size=2)))
    return list(draw(st.permutations(docs)))


_TOP_LEVEL = {"manifests": _documents(), "kustomization": st.lists(_kustomization, min_size=1, max_size=2)}


@st.composite
def _yaml_text(draw: Any, what: str = "manifests") -> str:
    """The documents as YAML, then (often) damaged where YAML is most sensitive."""
    docs = draw(_TOP_LEVEL[what])
    flow = draw(st.sampled_from([False, False, None, True]))
    text = yaml.safe_dump_all(docs, sort_keys=False, default_flow_style=flow, allow_unicode=draw(st.booleans()))
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2, 4]))):
        position = draw(st.integers(0, len(text)))
        if draw(st.booleans()):
            text = text[:position] + draw(st.sampled_from(_DAMAGE)) + text[position:]
        else:
            text = text[:position] + text[position + draw(st.integers(0, 20)):]
    return text


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


@SETTINGS
@given(text=_yaml_text())
def test_metallb_like_documents_never_crash(text: str) -> None:
    check({"pools.yaml": _encode(text)})


@SETTINGS
@given(
    pools=_yaml_text(),
    base=_yaml_text(),
    kustomization=_yaml_text("kustomization"),
    overlay=st.one_of(st.none(), _yaml_text("kustomization")),
)
def test_kustomize_layouts_never_crash(pools: str, base: str, kustomization: str, overlay: str | None) -> None:
    files = {
        "pools.yaml": _encode(pools),
        "kustomization.yaml": _encode(kustomization),
        "base/metallb.yaml": _encode(base),
        "base/kustomization.yaml": b"resources:\n- metallb.yaml\n",
    }
    if overlay is not None:
        files["overlay/kustomization.yaml"] = _encode(overlay.replace("pools.yaml", "../pools.yaml"))
    check(files)


@pytest.mark.parametrize("rule", ["yaml-syntax", "pool-address-invalid", "pool-range-invalid", "pool-overlap",
                                  "pool-not-advertised"])
def test_generator_reaches_the_rules(rule: str) -> None:
    """The document strategy is worth its cost only if it can make each pool rule fire."""
    example = find(_yaml_text(), lambda text: rule in {f.rule for f in check({"pools.yaml": _encode(text)}).findings},
                   # No shrinking: any example that fires the rule will do.
                   settings=settings(max_examples=2000, deadline=None, database=None, derandomize=True,
                                     phases=[Phase.generate], suppress_health_check=list(HealthCheck)))
    assert rule in {f.rule for f in check({"pools.yaml": _encode(example)}).findings}
