"""The hardened YAML reader: small files that describe huge or endless documents are refused.

Refusal must be cheap. It is measured structurally, by the nodes the reader
composes and walks, never by wall-clock time: a "billion laughs" file is
refused after walking each of its few dozen distinct nodes once.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.scenario import ScenarioError, load_scenario
from sim.scenario.limits import MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES
from sim.scenario.yamlfile import LimitError, _Loader, measure, read_document


def _write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "s.yaml"
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return path


def _error(tmp_path: Path, text: str | bytes) -> str:
    with pytest.raises(ScenarioError) as info:
        load_scenario(_write(tmp_path, text))
    assert len(info.value.errors) == 1, info.value.errors
    return info.value.errors[0]


def laughs(levels: int = 9, width: int = 9) -> str:
    """The classic alias bomb: width**levels strings from a file of about 2 KB."""
    lines = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]")
    lines.append(f"campaigns: [*l{levels - 1}]")
    return "\n".join(lines) + "\n"


def _composed(text: str) -> tuple[yaml.Node, int]:
    loader = _Loader(text)
    try:
        return loader.get_single_node(), loader.composed
    finally:
        loader.dispose()


def test_billion_laughs_is_refused_after_walking_each_node_once(tmp_path: Path) -> None:
    text = laughs()
    assert len(text.encode()) < 2_048
    root, composed = _composed(text)
    assert composed < 200  # aliases are composed as references, not copies
    with pytest.raises(LimitError) as info:
        measure(root)
    assert info.value.location == "l5"  # 9**6 > MAX_NODES: the first node to pass it
    error = _error(tmp_path, text)
    assert error == f"l5: aliases expand this to more than {MAX_NODES:,} values (s.yaml line 6)"


def test_measuring_visits_each_distinct_node_once() -> None:
    # Under the limit, the walk costs the distinct nodes, not the expanded ones.
    root, composed = _composed(laughs(levels=5, width=9))  # 9**5 = 59,049 strings
    shape = measure(root)
    assert shape.size[id(root)] > 59_049
    assert shape.visits <= composed < 120


def test_deep_nesting_is_refused_while_composing(tmp_path: Path) -> None:
    depth = 10_000  # PyYAML would hit the recursion limit (a traceback) long before
    text = "start: " + "[" * depth + "]" * depth + "\n"
    loader = _Loader(text)
    with pytest.raises(LimitError) as info:
        loader.get_single_node()
    assert loader.composed <= MAX_DEPTH + 3  # the root, the key, the levels
    assert info.value.location == "start" + "[0]" * MAX_DEPTH
    assert f"nested deeper than {MAX_DEPTH} levels (s.yaml line 1)" in _error(tmp_path, text)


def test_deep_nesting_inside_a_key_is_refused(tmp_path: Path) -> None:
    text = "? " + "[" * 100 + "1" + "]" * 100 + "\n: 1\n"
    assert f"nested deeper than {MAX_DEPTH} levels" in _error(tmp_path, text)


def test_aliases_that_nest_deeper_than_the_limit(tmp_path: Path) -> None:
    lines = ["x0: &x0 [1]"] + [f"x{i}: &x{i} [[[*x{i - 1}]]]" for i in range(1, 20)]
    error = _error(tmp_path, "\n".join(lines) + "\n")
    assert f"aliases nest this deeper than {MAX_DEPTH} levels" in error
    assert error.startswith("x")


def test_an_alias_inside_its_own_anchor_is_refused(tmp_path: Path) -> None:
    error = _error(tmp_path, "campaigns: &a [1, *a]\n")
    assert error == "campaigns[1]: an alias refers to a value that contains it (s.yaml line 1)"


def test_many_plain_values_are_refused_while_composing() -> None:
    # A file within the size limit cannot hold this many; the check still stands.
    loader = _Loader("[" + "1," * MAX_NODES + "1]")
    with pytest.raises(LimitError, match=f"more than {MAX_NODES:,} values") as info:
        loader.get_single_node()
    assert info.value.location == f"[{MAX_NODES - 1}]"


def test_a_file_over_the_size_limit_is_not_read(tmp_path: Path) -> None:
    text = "description: " + "x" * MAX_FILE_BYTES + "\n"
    assert f"larger than {MAX_FILE_BYTES:,} bytes" in _error(tmp_path, text)


def test_useful_aliases_still_work(tmp_path: Path) -> None:
    text = """
start: 2026-10-06T09:00:00-04:00
horizon: 2h
instance: {queues: [sales]}
x-talk: &talk {kind: lognormal, mean: 3m, sd: 1m}
campaigns:
  - {id: c, queue: sales}
durations: {talk: *talk, patience: *talk}
"""
    data, _ = read_document(_write(tmp_path, text))
    assert data["durations"]["talk"] == data["durations"]["patience"]


@pytest.mark.parametrize(
    ("text", "where", "needle"),
    [
        ("seed: 0" + "1" * 200 + "\n", "seed: ", "an integer of 201 digits is out of range"),
        ("seed: !!int abc\n", "seed: ", "cannot read this int value"),
        ("seed: !!float abc\n", "seed: ", "cannot read this float value"),
        ("start: !!timestamp soon\n", "start: ", "cannot read this timestamp value"),
        ("seed: !!python/object:os.system ls\n", "seed: ", "could not determine a constructor"),
        ("name: x\nseed: 1\nseed: 2\n", "seed: ", "duplicate key 'seed' (s.yaml line 3)"),
        ("seed: !!set 0\n", "seed: ", "expected a mapping, found scalar"),
        ("!!set {[1]: 2}\n", "", "unhashable key"),
        ("seed: 1\x00\n", "", "s.yaml:1: special characters are not allowed"),
        (b"name: ok\nseed: \xff\n", "", "s.yaml:2: not UTF-8 text"),
        ("a: *nowhere\n", "", "s.yaml:1:4: YAML syntax error: found undefined alias"),
    ],
)
def test_unreadable_values_name_their_place(
    tmp_path: Path, text: str | bytes, where: str, needle: str
) -> None:
    error = _error(tmp_path, text)
    assert error.startswith(where) and needle in error, error
    assert "s.yaml" in error


@pytest.mark.parametrize(
    ("written", "value"),
    [("010", 10), ("0o10", 8), ("0x10", 16), ("1_000", 1000), ("-7", -7)],
)
def test_yaml_12_integers(tmp_path: Path, written: str, value: int) -> None:
    data, _ = read_document(_write(tmp_path, f"seed: {written}\n"))
    assert data == {"seed": value}


PIECES = [*"[]{}:-&*!|>'\"#,?. \n\t0189ax+e_\\%@`~", "!!", "<<", ".inf", "seed", "start", "  "]
YAMLISH = st.lists(st.sampled_from(PIECES), max_size=80).map("".join)


@settings(max_examples=300, deadline=None)
@given(YAMLISH)
def test_any_text_gives_a_scenario_or_a_scenario_error(text: str) -> None:
    path = Path(tempfile.mkdtemp()) / "s.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        load_scenario(path)
    except ScenarioError as exc:
        assert exc.errors and all(isinstance(e, str) for e in exc.errors)
