"""The YAML loader (linter.loader) and positioned values (linter.yamlpos).

Positions are 1-based lines and columns, as every finding reports them.
"""

from __future__ import annotations

import codecs
import math
import time
from pathlib import Path
from typing import Any

import pytest

from linter import loader
from linter.nesting import nesting_bound
from linter.finding import Location
from linter.loader import MAX_EXPANDED_NODES, SourceFile, load_file, load_text
from linter.yamlpos import YMap, YSeq, location_of

POOL = """\
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: lan
  labels: {zone: east, "tier": 'public'}
spec:
  addresses:
  - 192.168.10.0/24
  - "10.0.0.1-10.0.0.9"
  - {cidr: x}
"""


@pytest.fixture(autouse=True, params=["libyaml", "pure-python"])
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test runs with both parsers the loader can use."""
    if request.param == "libyaml":
        if loader._CParser is None:
            pytest.skip("PyYAML without libyaml")
        assert loader._Composer is not loader._PyComposer
    else:
        monkeypatch.setattr(loader, "_Composer", loader._PyComposer)
    return str(request.param)


def only(text: str, path: str = "f.yaml") -> Any:
    """The single document of `text`, asserting the file had no problem."""
    source = load_text(text, path)
    assert source.problems == []
    assert len(source.documents) == 1
    return source.documents[0].value


def problems(source: SourceFile) -> list[tuple[str, int, int]]:
    return [(p.message, p.location.line, p.location.column) for p in source.problems]


def plain(value: Any) -> Any:
    """`value` rebuilt from plain dicts and lists (fails on any other container)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    assert value is None or isinstance(value, (str, int, float, bool)), type(value)
    return value


# --- documents and values -------------------------------------------------


def test_values_are_positioned_dicts_and_lists_equal_to_plain_data() -> None:
    value = only(POOL)
    assert isinstance(value, YMap)
    assert isinstance(value["spec"]["addresses"], YSeq)
    assert value == {
        "apiVersion": "metallb.io/v1beta1",
        "kind": "IPAddressPool",
        "metadata": {"name": "lan", "labels": {"zone": "east", "tier": "public"}},
        "spec": {"addresses": ["192.168.10.0/24", "10.0.0.1-10.0.0.9", {"cidr": "x"}]},
    }
    assert value.file == "f.yaml"


def test_each_document_keeps_its_index_and_empty_documents_are_none() -> None:
    source = load_text("---\n---\na: 1\n---\nb: [2]\n", "multi.yaml")
    assert source.problems == []
    assert [(d.index, d.value) for d in source.documents] == [(0, None), (1, {"a": 1}), (2, {"b": [2]})]


@pytest.mark.parametrize("text", ["", "# only a comment\n", "\n\n"])
def test_a_file_without_content_has_no_document_and_no_problem(text: str) -> None:
    source = load_text(text, "empty.yaml")
    assert (source.documents, source.problems) == ([], [])


def test_sourcefile_line_is_one_based_and_empty_out_of_range() -> None:
    source = load_text("a: 1\nb: 2\n", "f.yaml")
    assert [source.line(0), source.line(1), source.line(2), source.line(3)] == ["", "a: 1", "b: 2", ""]


# --- YAML 1.1 scalars as Kubernetes reads them ----------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("yes", True), ("Yes", True), ("YES", True), ("on", True), ("ON", True), ("true", True), ("True", True),
    ("no", False), ("No", False), ("off", False), ("Off", False), ("false", False), ("FALSE", False),
    ("y", "y"), ("n", "n"), ("Y", "Y"), ('"yes"', "yes"), ("'on'", "on"), ("yEs", "yEs"),
    ("2024-01-01", "2024-01-01"), ("2024-01-01T10:00:00Z", "2024-01-01T10:00:00Z"),
    ("12:30:00", "12:30:00"), ("1:20", "1:20"),
    ("42", 42), ("-7", -7), ("+3", 3), ("017", 15), ("0x1F", 31), ("0b101", 5), ("1_000", 1000), ("0", 0),
    ("0.5", 0.5), ("-1.25", -1.25), (".5", 0.5), ("1.0e+3", 1000.0), (".inf", math.inf), ("-.Inf", -math.inf),
    ("~", None), ("null", None), ("Null", None), ("", None), ('""', ""), ("'null'", "null"),
    ("192.168.10.0/24", "192.168.10.0/24"), ("192.168.10.1", "192.168.10.1"), ("64500", 64500),
    ("!!str 12", "12"), ('!!int "7"', 7),
])
def test_yaml_1_1_scalars(text: str, expected: object) -> None:
    value = only(f"v: {text}\n")["v"]
    assert value == expected
    assert type(value) is type(expected)


def test_nan_is_a_float() -> None:
    value = only("v: .nan\n")["v"]
    assert isinstance(value, float) and math.isnan(value)


def test_python_tags_never_construct_objects(tmp_path: Path) -> None:
    marker = tmp_path / "constructed"
    text = (
        f"a: !!python/object/apply:builtins.exec [\"open({str(marker)!r}, 'w').close()\"]\n"
        "b: !!python/object:collections.OrderedDict {x: 1}\n"
        "c: !!python/name:os.system\n"
        "d: !!python/object/new:builtins.int [5]\n"
        "e: !!binary aGVsbG8=\n"
        "f: !Custom {y: 2}\n"
    )
    value = only(text)
    assert not marker.exists()
    assert plain(value) == {
        "a": [f"open({str(marker)!r}, 'w').close()"],
        "b": {"x": 1},
        "c": "",
        "d": [5],
        "e": "aGVsbG8=",
        "f": {"y": 2},
    }


# --- syntax errors ----------------------------------------------------------


def test_syntax_error_is_a_problem_at_its_line_and_column() -> None:
    source = load_text("kind: IPAddressPool\nspec:\n  autoAssign: true: false\n", "bad.yaml")
    # libyaml ends the message "in this context", the Python parser "here".
    assert [(line, column) for _, line, column in problems(source)] == [(3, 19)]
    assert source.problems[0].message.startswith("mapping values are not allowed ")
    assert source.problems[0].location.file == "bad.yaml"
    assert source.documents == []


def test_documents_before_a_syntax_error_are_kept() -> None:
    text = "a: 1\n---\nb: 2\n---\nc: d: e\n---\nf: 3\n"
    source = load_text(text, "f.yaml")
    assert [d.value for d in source.documents] == [{"a": 1}, {"b": 2}]
    assert [(line, column) for _, line, column in problems(source)] == [(5, 5)]
    assert source.problems[0].message.startswith("mapping values are not allowed ")


def test_unclosed_flow_sequence_is_reported_where_it_opens_not_at_the_next_document() -> None:
    text = "a: 1\n---\nspec:\n  addresses: [192.168.20.0/24\n---\nb: 2\n"
    source = load_text(text, "f.yaml")
    assert [(line, column) for _, line, column in problems(source)] == [(4, 14)]
    assert "expected ',' or ']'" in source.problems[0].message
    assert [d.value for d in source.documents] == [{"a": 1}]


def test_error_found_only_at_end_of_stream_points_at_the_last_line_with_content() -> None:
    source = load_text("a: 1\nb: [\n\n# trailing comment\n", "f.yaml")
    assert [(line, column) for _, line, column in problems(source)] == [(2, 1)]


def test_unclosed_quote_points_at_the_quote() -> None:
    source = load_text('a: 1\nb: "abc\n', "f.yaml")
    assert problems(source) == [("while scanning a quoted scalar: found unexpected end of stream", 2, 4)]


def test_undefined_alias_is_a_problem() -> None:
    source = load_text("a: 1\nb: *nowhere\n", "f.yaml")
    assert [(line, column) for _, line, column in problems(source)] == [(2, 4)]
    assert source.problems[0].message.startswith("found undefined alias")


def test_anchors_do_not_cross_documents() -> None:
    source = load_text("a: &x 1\n---\nb: *x\n", "f.yaml")
    assert [d.value for d in source.documents] == [{"a": 1}]
    assert [(line, column) for _, line, column in problems(source)] == [(3, 4)]
    assert source.problems[0].message.startswith("found undefined alias")


@pytest.mark.parametrize(("character", "line", "column"), [("\x07", 2, 5), ("\x00", 1, 4), ("\x7f", 3, 1)])
def test_control_character_is_a_problem_not_an_exception(character: str, line: int, column: int) -> None:
    lines = ["a: 1", "b: 2", "c: 3"]
    lines[line - 1] = lines[line - 1][: column - 1] + character + lines[line - 1][column - 1:]
    source = load_text("\n".join(lines) + "\n", "f.yaml")
    assert problems(source) == [
        (f"character U+{ord(character):04X} is not allowed in YAML", line, column)]
    assert source.documents == []


@pytest.mark.parametrize("newline", ["\r\n", "\r", "\u2028"])
def test_control_character_line_counts_every_yaml_line_break(newline: str) -> None:
    source = load_text(f"a: 1{newline}b: 2{newline}c: \u00e9\x01{newline}", "f.yaml")
    assert problems(source) == [("character U+0001 is not allowed in YAML", 3, 5)]


# --- duplicate and odd keys ---------------------------------------------------


def test_duplicate_key_is_reported_at_the_second_key_and_the_last_value_wins() -> None:
    source = load_text("metadata:\n  name: lan\n  namespace: x\n  name: lan-pool\n", "f.yaml")
    assert problems(source) == [
        ("duplicate key 'name' (line 2): Kubernetes rejects a mapping with a repeated key", 4, 3)]
    metadata = source.documents[0].value["metadata"]
    assert metadata == {"name": "lan-pool", "namespace": "x"}
    assert metadata.key_location("name") == Location("f.yaml", 4, 3)
    assert metadata.value_location("name") == Location("f.yaml", 4, 9, 4, 17)


def test_each_repeated_key_is_reported() -> None:
    source = load_text("a: 1\nb: 2\na: 3\na: 4\n", "f.yaml")
    assert [(line, column) for _, line, column in problems(source)] == [(3, 1), (4, 1)]
    assert source.documents[0].value == {"a": 4, "b": 2}


def test_same_key_in_different_mappings_is_no_duplicate() -> None:
    assert only("a: {name: x}\nb: {name: y}\n") == {"a": {"name": "x"}, "b": {"name": "y"}}


def test_explicit_key_overriding_a_merged_key_is_no_duplicate() -> None:
    value = only("base: &b {name: x, ns: y}\nitem:\n  <<: *b\n  name: z\n")
    assert value["item"] == {"name": "z", "ns": "y"}


def test_mapping_or_list_as_key_is_a_problem() -> None:
    source = load_text("? [1, 2]\n: 3\nok: 4\n", "f.yaml")
    assert problems(source) == [("a mapping key must be a plain value, not a mapping or a list", 1, 3)]
    assert source.documents[0].value == {"ok": 4}


# --- merge keys ----------------------------------------------------------------


def test_merge_key_copies_missing_keys_and_explicit_keys_win() -> None:
    value = only(
        "defaults: &d\n  namespace: metallb-system\n  labels: {site: home}\n"
        "pool:\n  <<: *d\n  namespace: other\n  name: lan\n"
    )
    assert plain(value["pool"]) == {"namespace": "other", "name": "lan", "labels": {"site": "home"}}
    assert "<<" not in value["pool"]


def test_merge_of_a_list_takes_the_first_mapping_that_has_the_key() -> None:
    value = only("a: &a {x: 1}\nb: &b {x: 2, y: 2}\nc:\n  <<: [*a, *b]\n  z: 3\n")
    assert value["c"] == {"x": 1, "y": 2, "z": 3}


def test_merge_of_a_scalar_is_a_problem() -> None:
    source = load_text("a: &a 1\nb:\n  <<: *a\n  c: 2\n", "f.yaml")
    # At the `<<` asking for it, not at the anchored scalar.
    assert problems(source) == [("`<<` merges only mappings", 3, 3)]
    assert source.documents[0].value == {"a": 1, "b": {"c": 2}}


def test_quoted_double_less_than_is_an_ordinary_key() -> None:
    assert only("a:\n  '<<': literal\n") == {"a": {"<<": "literal"}}


# --- aliases: bombs, recursion, depth ---------------------------------------


def _billion_laughs(levels: int = 9) -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    previous = "a"
    for name in "bcdefghijklmnop"[: levels - 1]:
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
        previous = name
    return "kind: ConfigMap\ndata:\n" + "".join(f"  {line}\n" for line in lines)


def test_billion_laughs_is_a_problem_found_fast() -> None:
    text = "a: 1\n---\n" + _billion_laughs() + "---\nb: 2\n"
    started = time.perf_counter()
    source = load_text(text, "lol.yaml")
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0
    assert problems(source) == [
        (f'aliases expand this document past {MAX_EXPANDED_NODES} nodes (a "billion laughs" file?): not read',
         3, 1)]
    assert [d.value for d in source.documents] == [{"a": 1}, None, {"b": 2}]


def test_a_few_aliases_to_a_shared_node_are_fine_and_share_the_value() -> None:
    value = only("common: &c {labels: {a: b}}\nx: *c\ny: *c\n")
    assert value["x"] == value["y"] == {"labels": {"a": "b"}}
    assert value["x"] is value["common"]


def test_alias_expansion_just_under_the_budget_is_accepted() -> None:
    # 1 + 4 * 10_001 expanded nodes per alias use: well under the budget.
    items = ", ".join(["x"] * 10_000)
    value = only(f"big: &big [{items}]\nuses: [*big, *big, *big, *big]\n")
    assert len(value["uses"]) == 4 and len(value["uses"][3]) == 10_000


@pytest.mark.parametrize("text", [
    "a: &a [*a]\n",
    "a: &a {self: *a}\n",
    "a: &a\n  b:\n    c: *a\n",
    "a: &a [*a]\nb: *a\nc: [*a, *a]\n",  # the loop reached again through other aliases
])
def test_recursive_alias_is_a_problem_not_a_hang(text: str) -> None:
    source = load_text(text, "loop.yaml")
    assert [message for message, _, _ in problems(source)] == ["recursive alias: a node refers to itself"]
    assert source.problems[0].location.line == 1
    assert len(source.documents) == 1


@pytest.mark.parametrize("text", [
    "[" * 5000 + "]" * 5000,
    "{a: " * 5000 + "1" + "}" * 5000,
    "- " * 5000 + "x\n",
])
def test_deep_nesting_is_a_problem_not_a_recursion_error(text: str) -> None:
    source = load_text("ok: 1\n---\n" + text, "deep.yaml")
    assert [message for message, _, _ in problems(source)] == ["document nested too deeply to read"]
    assert source.documents[0].value == {"ok": 1}


def test_very_deep_nesting_never_reaches_libyamls_unbounded_c_recursion() -> None:
    # libyaml's composer would overflow the C stack (a crash, not an exception).
    source = load_text("[" * 100_000 + "]" * 100_000, "deep.yaml")
    assert [message for message, _, _ in problems(source)] == ["document nested too deeply to read"]


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


@pytest.mark.parametrize("text", [
    "".join("  " * i + "k:\n" for i in range(40)) + "  " * 40 + "v\n",  # block mappings
    "k:\n" + "".join("  " * i + "- k:\n" for i in range(30)) + "  " * 30 + "- x\n",  # indentless sequences
    "- " * 80 + "x\n",  # compact nested sequences
    "- " * 30 + "a: " + "{b: " * 20 + "[" * 20 + "]" * 20 + "}" * 20 + "\n",
    "[a: " * 50 + "x" + "]" * 50,  # single-pair mappings inside flow sequences
    "k: '[[[[ not brackets ]]]'\nl: \"{{ .Values.x }}\"\n",
])
def test_nesting_bound_is_an_upper_bound(text: str) -> None:
    value = only(text)
    assert nesting_bound(text) >= _depth(value) >= 1


def test_a_file_beyond_the_c_nesting_bound_reads_the_same_with_the_python_parser(
        monkeypatch: pytest.MonkeyPatch) -> None:
    expected = only(POOL)
    monkeypatch.setattr(loader, "MAX_C_NESTING", 2)
    assert only(POOL) == expected


def test_ordinary_files_stay_well_under_the_c_nesting_bound() -> None:
    assert nesting_bound(POOL) < 20
    assert nesting_bound(_billion_laughs()) < 20


def test_moderate_nesting_is_read() -> None:
    depth = 60
    text = "".join("  " * i + f"k{i}:\n" for i in range(depth)) + "  " * depth + "leaf\n"
    value = only(text)
    for i in range(depth):
        value = value[f"k{i}"]
    assert value == "leaf"


# --- load_file: bytes and encodings -------------------------------------------


def write(tmp_path: Path, name: str, data: bytes) -> str:
    (tmp_path / name).write_bytes(data)
    return name


def test_load_file_reads_utf8(tmp_path: Path) -> None:
    name = write(tmp_path, "pool.yaml", POOL.encode())
    source = load_file(tmp_path, name)
    assert source.problems == [] and source.path == "pool.yaml"
    assert source.documents[0].value["metadata"]["name"] == "lan"
    assert source.text == POOL


def test_utf8_bom_is_skipped(tmp_path: Path) -> None:
    name = write(tmp_path, "bom.yaml", codecs.BOM_UTF8 + b"apiVersion: v1\nkind: ConfigMap\n")
    source = load_file(tmp_path, name)
    assert source.problems == []
    assert source.text == "apiVersion: v1\nkind: ConfigMap\n"
    value = source.documents[0].value
    assert list(value) == ["apiVersion", "kind"]
    assert value.key_location("apiVersion") == Location("bom.yaml", 1, 1)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
def test_utf16_and_utf32_with_bom_are_decoded(tmp_path: Path, encoding: str) -> None:
    name = write(tmp_path, "wide.yaml", "kind: ConfigMap\ndata: {k: \u00e9}\n".encode(encoding))
    source = load_file(tmp_path, name)
    assert source.problems == []
    assert source.documents[0].value == {"kind": "ConfigMap", "data": {"k": "\u00e9"}}


def test_nul_byte_is_a_binary_file_problem_at_its_line(tmp_path: Path) -> None:
    name = write(tmp_path, "blob.yaml", b"a: 1\nb: 2\nc: \x00\x01\n")
    source = load_file(tmp_path, name)
    assert problems(source) == [("binary file (NUL byte): not YAML", 3, 1)]
    assert source.documents == []


def test_invalid_utf8_is_a_problem_at_its_line(tmp_path: Path) -> None:
    name = write(tmp_path, "latin1.yaml", "a: 1\nname: caf\u00e9\n".encode("latin-1"))
    source = load_file(tmp_path, name)
    assert problems(source) == [("not valid UTF-8: byte 0xe9 at offset 14", 2, 1)]
    assert source.documents == []


def test_unreadable_file_is_a_problem(tmp_path: Path) -> None:
    source = load_file(tmp_path, "missing.yaml")
    assert problems(source) == [("cannot read file: No such file or directory", 1, 1)]


def test_oversized_file_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader, "MAX_FILE_BYTES", 2 * 1024 * 1024)
    name = write(tmp_path, "huge.yaml", b"a: " + b"x" * (2 * 1024 * 1024) + b"\n")
    source = load_file(tmp_path, name)
    assert problems(source) == [("file larger than 2 MiB: not read", 1, 1)]
    assert source.documents == []


# --- positions (linter.yamlpos) -------------------------------------------------


def test_mapping_key_and_value_positions() -> None:
    value = only(POOL, "p.yaml")
    assert value.location() == Location("p.yaml", 1, 1)
    assert value.key_location("spec") == Location("p.yaml", 6, 1)
    assert value.value_location("kind") == Location("p.yaml", 2, 7, 2, 20)
    metadata = value["metadata"]
    assert metadata.location() == Location("p.yaml", 4, 3)
    assert metadata.key_location("name") == Location("p.yaml", 4, 3)
    assert metadata.value_location("name") == Location("p.yaml", 4, 9, 4, 12)
    # A container value has a start only.
    assert metadata.value_location("labels") == Location("p.yaml", 5, 11)
    # Quoted scalars span their quotes; flow mappings have positions too.
    assert metadata["labels"].key_location("tier") == Location("p.yaml", 5, 24)
    assert metadata["labels"].value_location("tier") == Location("p.yaml", 5, 32, 5, 40)


def test_sequence_item_positions() -> None:
    addresses = only(POOL, "p.yaml")["spec"]["addresses"]
    assert addresses.location() == Location("p.yaml", 8, 3)
    assert addresses.item_location(0) == Location("p.yaml", 8, 5, 8, 20)
    assert addresses.item_location(1) == Location("p.yaml", 9, 5, 9, 24)
    assert addresses.item_location(2) == Location("p.yaml", 10, 5)
    # Out of range: the sequence itself.
    assert addresses.item_location(3) == Location("p.yaml", 8, 3)


def test_flow_sequence_item_positions() -> None:
    addresses = only("addresses: [10.0.0.0/8, '192.168.0.0/16']\n")["addresses"]
    assert addresses.location() == Location("f.yaml", 1, 12)
    assert addresses.item_location(0) == Location("f.yaml", 1, 13, 1, 23)
    assert addresses.item_location(1) == Location("f.yaml", 1, 25, 1, 41)


def test_missing_key_falls_back_to_the_mapping() -> None:
    spec = only(POOL, "p.yaml")["spec"]
    assert spec.key_location("autoAssign") == Location("p.yaml", 7, 3)
    assert spec.value_location("autoAssign") == Location("p.yaml", 7, 3)


def test_positions_in_later_documents_are_lines_of_the_file() -> None:
    source = load_text("a: 1\n---\n# comment\nkind: L2Advertisement\nmetadata:\n  name: lan\n", "f.yaml")
    second = source.documents[1].value
    assert second.location() == Location("f.yaml", 4, 1)
    assert second["metadata"].value_location("name") == Location("f.yaml", 6, 9, 6, 12)


def test_positions_after_a_bom_are_not_shifted() -> None:
    value = only("\ufeffkind: Pool\nspec:\n  x: 1\n")
    assert value.key_location("kind") == Location("f.yaml", 1, 1)
    assert value["spec"].value_location("x") == Location("f.yaml", 3, 6, 3, 7)


def test_merged_key_points_at_the_mapping_it_was_merged_from() -> None:
    value = only("a: &a {x: 1}\nb: &b {x: 2, y: 2}\nc:\n  <<: [*a, *b]\n  z: 3\n")
    merged = value["c"]
    assert merged.key_location("x") == Location("f.yaml", 1, 8)
    assert merged.value_location("x") == Location("f.yaml", 1, 11, 1, 12)
    assert merged.key_location("y") == Location("f.yaml", 2, 14)
    assert merged.key_location("z") == Location("f.yaml", 5, 3)


def test_key_merged_through_a_merged_mapping_points_at_its_text() -> None:
    value = only("base: &base {x: 1}\na: &a\n  <<: *base\n  y: 2\nc:\n  <<: *a\n  z: 3\n")
    merged = value["c"]
    assert merged == {"x": 1, "y": 2, "z": 3}
    assert merged.key_location("x") == Location("f.yaml", 1, 14)
    assert merged.key_location("y") == Location("f.yaml", 4, 3)


def test_explicit_key_beats_merged_key_for_position() -> None:
    value = only("base: &b\n  name: x\nitem:\n  <<: *b\n  name: z\n")
    assert value["item"].value_location("name") == Location("f.yaml", 5, 9, 5, 10)


def test_value_reached_through_an_alias_points_at_the_anchored_text() -> None:
    value = only("a: &auto true\nb: *auto\n")
    assert value["b"] is True
    assert value.key_location("b") == Location("f.yaml", 2, 1)
    assert value.value_location("b") == Location("f.yaml", 1, 4, 1, 14)


def test_non_string_keys_are_found() -> None:
    value = only("ports:\n  80: http\n  443: https\n")["ports"]
    assert value == {80: "http", 443: "https"}
    assert value.key_location(443) == Location("f.yaml", 3, 3)
    assert value.value_location(80) == Location("f.yaml", 2, 7, 2, 11)


def test_block_scalar_value_location_spans_its_lines() -> None:
    value = only("data:\n  script: |\n    echo one\n    echo two\nnext: 1\n")
    assert value["data"]["script"] == "echo one\necho two\n"
    location = value["data"].value_location("script")
    assert (location.line, location.column, location.end_line) == (2, 11, 5)


def test_set_location_overrides_the_node_and_shallow_copy_keeps_the_original_intact() -> None:
    metadata = only("metadata:\n  name: lan\n  namespace: a\n", "base.yaml")["metadata"]
    copy = metadata.shallow_copy()
    copy["namespace"] = "b"
    override = Location("kustomization.yaml", 3, 12, 3, 13)
    copy.set_location("namespace", override)
    assert copy.value_location("namespace") == override
    assert copy.key_location("namespace") == override
    assert copy.value_location("name") == Location("base.yaml", 2, 9, 2, 12)
    assert metadata["namespace"] == "a"
    assert metadata.value_location("namespace") == Location("base.yaml", 3, 14, 3, 15)
    assert copy.file == "base.yaml" and copy.location() == metadata.location()


def test_generated_values_have_a_placeholder_location() -> None:
    assert YMap().location() == Location("<generated>", 1, 1)
    assert YSeq("made.yaml").item_location(0) == Location("made.yaml", 1, 1)


def test_location_of_uses_the_container_or_the_fallback() -> None:
    value = only(POOL, "p.yaml")
    fallback = Location("p.yaml", 99, 1)
    assert location_of(value["metadata"], fallback) == Location("p.yaml", 4, 3)
    assert location_of(value["spec"]["addresses"], fallback) == Location("p.yaml", 8, 3)
    assert location_of("lan", fallback) == fallback
