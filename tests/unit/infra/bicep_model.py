"""A small read-only model of .bicep files, built on tree-sitter-bicep.

No Bicep compiler runs on these machines, so the infra tests check what a syntax tree shows:
syntax errors, declarations (params with their decorators and defaults, vars, modules, resources,
outputs), module paths and the parameters passed to them, and the app-setting names that an
expression can produce. Note: tree-sitter-bicep 1.1.0 flags the newer `{ ...spread }` syntax as
an error; the templates do not use it.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path

import tree_sitter
import tree_sitter_bicep

Node = tree_sitter.Node


@functools.cache
def _parser() -> tree_sitter.Parser:
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_bicep.language()))


def text(node: Node) -> str:
    return (node.text or b"").decode()


def string_literal(node: Node | None) -> str | None:
    """The value of a string without interpolation, else None."""
    if node is None or node.type != "string":
        return None
    if any(child.type == "interpolation" for child in node.children):
        return None
    return "".join(
        text(c) for c in node.children if c.type in ("string_content", "escape_sequence")
    )


def _unwrap(node: Node) -> Node:
    while node.type == "parenthesized_expression":
        node = node.named_children[0]
    return node


def object_properties(node: Node | None) -> dict[str, Node]:
    """Key -> value node of an object literal (empty for anything else)."""
    if node is None or _unwrap(node).type != "object":
        return {}
    props: dict[str, Node] = {}
    for prop in _unwrap(node).named_children:
        if prop.type != "object_property":
            continue
        key_node, value = prop.named_children[0], prop.named_children[-1]
        key = string_literal(key_node) if key_node.type == "string" else text(key_node)
        if key is not None:
            props[key] = value
    return props


def identifiers(node: Node) -> set[str]:
    """Every identifier an expression mentions (variables, params, functions, modules)."""
    found = {text(node)} if node.type == "identifier" else set()
    for child in node.children:
        found |= identifiers(child)
    return found


def walk(node: Node) -> list[Node]:
    nodes = [node]
    for child in node.children:
        nodes.extend(walk(child))
    return nodes


@dataclass(frozen=True)
class Param:
    name: str
    decorators: dict[str, Node]  # decorator name -> its call expression
    default: Node | None

    @property
    def description(self) -> str | None:
        call = self.decorators.get("description")
        if call is None:
            return None
        args = [n for n in call.named_children if n.type == "arguments"]
        return string_literal(args[0].named_children[0]) if args and args[0].named_children else ""

    @property
    def secure(self) -> bool:
        return "secure" in self.decorators


@dataclass(frozen=True)
class Module:
    symbol: str
    path: str
    body: Node  # the module's object (inside a loop or condition when there is one)

    @property
    def params(self) -> dict[str, Node]:
        return object_properties(object_properties(self.body).get("params"))

    @property
    def is_local(self) -> bool:
        return not self.path.startswith(("br/", "br:", "ts/", "ts:"))


@dataclass
class BicepFile:
    path: Path
    tree: tree_sitter.Tree
    params: dict[str, Param] = field(default_factory=dict)
    variables: dict[str, Node] = field(default_factory=dict)
    modules: list[Module] = field(default_factory=list)
    resources: dict[str, Node] = field(default_factory=dict)
    outputs: dict[str, Node] = field(default_factory=dict)

    @property
    def syntax_errors(self) -> list[str]:
        return [
            f"{self.path.name}:{n.start_point.row + 1}: {text(n)[:80]!r}"
            for n in walk(self.tree.root_node)
            if n.type == "ERROR" or n.is_missing
        ]

    def module(self, symbol: str) -> Module:
        return next(m for m in self.modules if m.symbol == symbol)

    def modules_at(self, path: str) -> list[Module]:
        return [m for m in self.modules if m.path == path]

    def setting_names(self, node: Node) -> set[str]:
        """App-setting names an expression can yield: keys of object literals, followed through
        variables, union(), ternaries and loadJsonContent(); params (overrides) add none."""
        node = _unwrap(node)
        if node.type == "object":
            return set(object_properties(node))
        if node.type == "identifier":
            value = self.variables.get(text(node))
            return self.setting_names(value) if value is not None else set()
        if node.type == "ternary_expression":
            return set().union(*(self.setting_names(c) for c in node.named_children[1:]))
        if node.type == "call_expression":
            function = text(node.named_children[0])
            args = [
                a for n in node.named_children if n.type == "arguments" for a in n.named_children
            ]
            if function == "union":
                return set().union(*(self.setting_names(a) for a in args))
            if function == "loadJsonContent" and args:
                relative = string_literal(args[0])
                if relative is not None:
                    loaded = json.loads((self.path.parent / relative).read_text())
                    return set(loaded) if isinstance(loaded, dict) else set()
        return set()


def _decorators(node: Node | None) -> dict[str, Node]:
    if node is None or node.type != "decorators":
        return {}
    found = {}
    for decorator in node.named_children:
        call = decorator.named_children[0] if decorator.named_children else None
        if call is not None and call.type == "call_expression":
            found[text(call.named_children[0])] = call
    return found


def _body(node: Node) -> Node:
    """The object of a module or resource declaration, through `[for ...]` and `if (...)`."""
    value = node.named_children[-1]
    if value.type == "for_statement":
        value = value.child_by_field_name("body") or value.named_children[-1]
    if value.type == "if_statement":
        value = value.named_children[-1]
    return value


def load(path: Path) -> BicepFile:
    tree = _parser().parse(path.read_bytes())
    model = BicepFile(path, tree)
    previous: Node | None = None
    for node in tree.root_node.named_children:
        kind = node.type
        named = node.named_children
        if kind == "parameter_declaration":
            name = text(named[0])
            default = named[-1] if len(named) >= 3 else None
            model.params[name] = Param(name, _decorators(previous), default)
        elif kind == "variable_declaration":
            model.variables[text(named[0])] = named[-1]
        elif kind == "module_declaration":
            model.modules.append(
                Module(text(named[0]), string_literal(named[1]) or "", _body(node))
            )
        elif kind == "resource_declaration":
            model.resources[text(named[0])] = _body(node)
        elif kind == "output_declaration":
            model.outputs[text(named[0])] = named[-1]
        previous = node
    return model
