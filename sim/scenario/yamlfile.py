"""Reading a scenario's YAML: YAML 1.2 scalars, no duplicate keys, bounded size.

YAML is read with YAML 1.2 scalar rules, because YAML 1.1 (PyYAML's default)
silently turns ``12:00`` into 720 and ``on`` into True. A number with a
leading ``+`` stays text, so ``+15550100`` is a phone number, not 15550100.
Duplicate keys are errors.

A small file can describe a huge document: aliases that refer to aliases
("billion laughs") or deep nesting. So the file is read only up to
``MAX_FILE_BYTES``, nesting is bounded while the node graph is composed, and
the graph's expanded size (every alias counted as the copy it stands for),
its expanded depth and its cycles are measured on the graph itself, once per
node, before any Python object is built.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError

from sim.scenario.errors import ScenarioError, format_location
from sim.scenario.limits import MAX_DEPTH, MAX_FILE_BYTES, MAX_INT_DIGITS, MAX_NODES

_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(r"^(?:-?[0-9][0-9_]*|0x[0-9a-fA-F_]+|0o[0-7_]+)$")
_FLOAT = re.compile(
    r"^(?:[-+]?(?:[0-9][0-9_]*\.[0-9_]*|\.[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
_DROPPED = {
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:timestamp",  # pydantic parses the text, one code path for JSON and YAML
}
_BASES = {"0x": 16, "0o": 8}


class LimitError(Exception):
    """The document is beyond a limit of ``sim.scenario.limits``, at a location."""

    def __init__(self, where: list[int | str], problem: str, mark: Any) -> None:
        super().__init__(problem)
        self.location = format_location(where)
        self.problem = problem
        self.line = mark.line + 1 if mark is not None else 0


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans and numbers, no duplicate keys, bounded nesting."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.composed = 0
        self.depth = 0
        self.where: list[int | str] = []

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        # index: the key node of a mapping value, the position of a sequence
        # item, None for a key or the root.
        step = index.value if isinstance(index, yaml.ScalarNode) else index
        named = isinstance(step, int | str)
        if named:
            self.where.append(step)
        self.depth += 1
        self.composed += 1
        try:
            if self.depth > MAX_DEPTH + 1:
                self._refuse(f"nested deeper than {MAX_DEPTH} levels")
            if self.composed > MAX_NODES:
                self._refuse(f"more than {MAX_NODES:,} values")
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1
            if named:
                self.where.pop()

    def _refuse(self, problem: str) -> None:
        event: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call]
        raise LimitError(self.where, problem, event.start_mark)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            value = super().construct_object(node, deep=deep)
        except (ValueError, TypeError, AttributeError, OverflowError) as exc:
            # e.g. ``!!int abc``, ``!!timestamp soon``: a value no constructor can read.
            problem = f"cannot read this {node.tag.rsplit(':', 1)[-1]} value: {exc}"
            raise ConstructorError(None, None, problem, node.start_mark) from None
        if isinstance(value, str) and "\x00" in value:
            # ``"a\0b"``: SQLite keeps it, a PostgreSQL text column refuses it,
            # so the run would fail at its first write.
            problem = "holds a NUL character (\\0), which a database text column cannot store"
            raise ConstructorError(None, None, problem, node.start_mark)
        return value

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        if not isinstance(node, yaml.MappingNode):  # e.g. ``!!set 0``
            raise ConstructorError(
                None, None, f"expected a mapping, found {node.id}", node.start_mark
            )
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                repeated = key in seen
            except TypeError:  # a list or a set as a key
                raise ConstructorError(None, None, "unhashable key", key_node.start_mark) from None
            if isinstance(key, str) and repeated:
                raise ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        """YAML 1.2: ``010`` is ten; ``0o10`` eight; ``0x10`` sixteen; ``_`` separates digits."""
        text = str(self.construct_scalar(node)).replace("_", "")
        sign = -1 if text.startswith("-") else 1
        text = text.lstrip("+-")
        base = _BASES.get(text[:2].lower(), 10)
        digits = text[2:] if base != 10 else text
        if len(digits) > MAX_INT_DIGITS:
            raise ConstructorError(
                None, None, f"an integer of {len(digits):,} digits is out of range", node.start_mark
            )
        return sign * int(digits, base)


_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _DROPPED]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _tag, _regexp, _first in (
    ("bool", _BOOL, "tTfF"),
    ("int", _INT, "-0123456789"),
    ("float", _FLOAT, "-+0123456789."),
):
    _Loader.add_implicit_resolver(f"tag:yaml.org,2002:{_tag}", _regexp, list(_first))


@dataclass
class Shape:
    """What measuring a node graph found: per node, its expanded size and height."""

    size: dict[int, int] = field(default_factory=dict)
    height: dict[int, int] = field(default_factory=dict)
    visits: int = 0  # nodes whose children were walked: each distinct node once


def _children(node: yaml.Node) -> list[tuple[int | str, yaml.Node]]:
    if isinstance(node, yaml.SequenceNode):
        return list(enumerate(node.value))
    if isinstance(node, yaml.MappingNode):
        out: list[tuple[int | str, yaml.Node]] = []
        for key, value in node.value:
            name = str(key.value) if isinstance(key, yaml.ScalarNode) else "?"
            out += [(name, key), (name, value)]
        return out
    return []


def measure(root: yaml.Node) -> Shape:
    """The expanded size and height of every node, each node walked once.

    Raises LimitError naming the location (the first path to it) where the
    expansion passes MAX_NODES values or MAX_DEPTH levels, or where an alias
    refers to a value that contains it.
    """
    shape = Shape()
    open_nodes: set[int] = set()

    def walk(node: yaml.Node, where: list[int | str]) -> None:
        key = id(node)
        if len(where) > MAX_DEPTH:
            _limit(node, where, f"aliases nest this deeper than {MAX_DEPTH} levels")
        if key in open_nodes:
            _limit(node, where, "an alias refers to a value that contains it")
        if key not in shape.size:
            open_nodes.add(key)
            shape.visits += 1
            size, height = 1, 1
            for step, child in _children(node):
                walk(child, [*where, step])
                size += shape.size[id(child)]
                height = max(height, 1 + shape.height[id(child)])
            open_nodes.discard(key)
            shape.size[key], shape.height[key] = size, height
            if size > MAX_NODES:
                _limit(node, where, f"aliases expand this to more than {MAX_NODES:,} values")
        if len(where) + shape.height[key] - 1 > MAX_DEPTH:
            _limit(node, where, f"aliases nest this deeper than {MAX_DEPTH} levels")

    walk(root, [])
    return shape


def _limit(node: yaml.Node, where: list[int | str], problem: str) -> None:
    raise LimitError(where, problem, node.start_mark)


def line_index(root: yaml.Node | None) -> dict[str, int]:
    """Formatted location -> 1-based line, for each node at its first location."""
    lines: dict[str, int] = {}
    seen: set[int] = set()

    def walk(node: yaml.Node, where: list[int | str]) -> None:
        if id(node) in seen:
            return  # an alias: its parts are indexed where its anchor is
        seen.add(id(node))
        for step, child in _children(node):
            location = format_location([*where, step])
            lines.setdefault(location, child.start_mark.line + 1)
            walk(child, [*where, step])

    if root is not None:
        walk(root, [])
    return lines


_PARENT = re.compile(r"(\.[^.\[\]]*|\[\d+\])$", re.ASCII)  # last step of a location


def _nearest_line(location: str, lines: Mapping[str, int]) -> int | None:
    while location in lines or _PARENT.search(location):
        if location in lines:
            return lines[location]
        location = _PARENT.sub("", location)
    return None


def add_lines(errors: list[str], path: Path, lines: Mapping[str, int]) -> list[str]:
    out = []
    for error in errors:
        location = error.split(": ", 1)[0]
        line = _nearest_line(location, lines)
        out.append(f"{error} ({path.name} line {line})" if line else error)
    return out


def _text(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ScenarioError([f"{path}: file not found"]) from None
    except OSError as exc:
        raise ScenarioError([f"{path}: cannot read: {exc}"]) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(
            [f"{path}: larger than {MAX_FILE_BYTES:,} bytes, the most a scenario file may be"]
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ScenarioError([f"{path}:{line}: not UTF-8 text ({exc.reason})"]) from None


def read_document(path: Path) -> tuple[Any, yaml.Node | None]:
    """The YAML document in ``path`` and its node graph (None for an empty file).

    Every problem becomes a ScenarioError naming the file and line, and the
    key it is under once the document is composed.
    """
    text = _text(path)
    loader: _Loader | None = None
    root: yaml.Node | None = None
    try:
        loader = _Loader(text)
        root = loader.get_single_node()
        if root is None:
            return None, None
        measure(root)
        return loader.construct_document(root), root
    except LimitError as exc:
        raise ScenarioError(
            [f"{exc.location}: {exc.problem} ({path.name} line {exc.line})"]
        ) from None
    except ConstructorError as exc:
        where = _location_of(root, exc.problem_mark)
        if where is None:
            raise ScenarioError([_marked(path, exc, "YAML error: ")]) from None
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        raise ScenarioError([f"{where}: {exc.problem} ({path.name} line {line})"]) from None
    except yaml.MarkedYAMLError as exc:
        raise ScenarioError([_marked(path, exc, "YAML syntax error: ")]) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        raise ScenarioError(
            [f"{path}:{line}: {exc.reason} (character {exc.character!r})"]
        ) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([f"{path}: YAML error: {exc}"]) from None
    except (ValueError, TypeError, AttributeError, OverflowError) as exc:
        # A constructor that failed outside construct_object (they build
        # collections lazily); the value is unreadable, wherever it is.
        raise ScenarioError([f"{path}: YAML error: cannot read a value: {exc}"]) from None
    finally:
        if loader is not None:
            loader.dispose()


def _location_of(root: yaml.Node | None, mark: Any) -> str | None:
    """The location of the node that starts at ``mark`` (first path to it), if any."""
    if root is None or mark is None:
        return None
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, list[int | str]]] = [(root, [])]
    while stack:
        node, where = stack.pop()
        if node.start_mark.index == mark.index:
            return format_location(where)
        if id(node) not in seen:
            seen.add(id(node))
            stack += [(child, [*where, step]) for step, child in reversed(_children(node))]
    return None


def _marked(path: Path, exc: yaml.MarkedYAMLError, kind: str) -> str:
    mark = exc.problem_mark or exc.context_mark
    where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
    problem = exc.problem or exc.context or "invalid YAML"
    return f"{where}: {kind}{problem}"
