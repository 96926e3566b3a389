"""Route templates and matching (pure logic, no server)."""

import pytest

from devhost.routing import (
    Route,
    RouteMatch,
    RouteTable,
    RouteTemplateError,
    parse_template,
    split_path,
)


def match(template: str, path: str) -> dict[str, str] | None:
    return parse_template(template).match(split_path(path))


@pytest.mark.parametrize(
    ("template", "path", "expected"),
    [
        ("health", "/health", {}),
        ("health", "/HEALTH/", {}),
        ("health", "/health/x", None),
        ("items/{id}", "/items/7", {"id": "7"}),
        ("items/{id}", "/items", None),
        ("items/{id}", "/items/a%20b", {"id": "a b"}),
        ("items/{id?}", "/items", {}),
        ("items/{id=5}", "/items", {"id": "5"}),
        ("items/{id=5}", "/items/6", {"id": "6"}),
        ("files/{*rest}", "/files", {}),
        ("files/{*rest}", "/files/a/b%2Fc", {"rest": "a/b/c"}),
        ("files/{**rest}", "/files/a/b", {"rest": "a/b"}),
        ("{name}.{ext}", "/report.final.pdf", {"name": "report.final", "ext": "pdf"}),
        ("v{version:int}/x", "/V2/x", {"version": "2"}),
        ("v{version:int}/x", "/vtwo/x", None),
        ("", "/", {}),
        ("/leading/slash", "/leading/slash", {}),
    ],
)
def test_template_matching(template, path, expected):
    assert match(template, path) == expected


@pytest.mark.parametrize(
    ("constraint", "accepted", "rejected"),
    [
        ("int", ["0", "-12", "2147483647"], ["2147483648", "1.5", "x"]),
        ("long", ["9223372036854775807"], ["9223372036854775808"]),
        ("bool", ["true", "False"], ["yes", "1"]),
        (
            "guid",
            ["3f2504e0-4f89-11d3-9a0c-0305e82c3301", "3f2504e04f8911d39a0c0305e82c3301"],
            ["x"],
        ),
        ("double", ["1", "-1.5", "2e10", ".5"], ["nan", "inf", "1,5"]),
        ("alpha", ["abcXYZ"], ["abc1", "é"]),
        ("minlength(2)", ["ab"], ["a"]),
        ("maxlength(2)", ["ab"], ["abc"]),
        ("length(2)", ["ab"], ["a", "abc"]),
        ("length(1,2)", ["a", "ab"], ["abc"]),
        ("min(3)", ["3", "40"], ["2", "x"]),
        ("max(3)", ["3", "-4"], ["4"]),
        ("range(1,3)", ["1", "3"], ["0", "4"]),
        ("regex(^\\d{{3}}$)", ["123"], ["1234", "12a"]),
        ("regex(b)", ["abc", "B"], ["xyz"]),  # unanchored and case-insensitive, as in ASP.NET
        ("int:min(10)", ["10"], ["9", "x"]),
    ],
)
def test_constraints(constraint, accepted, rejected):
    template = parse_template(f"x/{{value:{constraint}}}")
    for value in accepted:
        assert template.match(["x", value]) == {"value": value}, value
    for value in rejected:
        assert template.match(["x", value]) is None, value


@pytest.mark.parametrize(
    "template",
    [
        "a//b",
        "items/{id",
        "items/id}",
        "items/{id:unknown}",
        "items/{id:min(x)}",
        "{*rest}/tail",
        "{a}{b}",
        "{a}/{a}",
        "{a?}/b",
        "x{a?}",
        "{*rest?}",
    ],
)
def test_invalid_templates_are_rejected(template):
    with pytest.raises(RouteTemplateError):
        parse_template(template)


def target(result: RouteMatch[str]) -> str | None:
    return result.route.target if result.route is not None else None


def table(*specs: tuple[str, frozenset[str] | None, str], prefix: str = "api") -> RouteTable[str]:
    return RouteTable(prefix, [Route(parse_template(t), m, name) for t, m, name in specs])


def test_more_specific_routes_win_regardless_of_declaration_order():
    routes = table(
        ("{*all}", None, "catch_all"),
        ("items/{name}", None, "by_name"),
        ("items/{id:int}", None, "by_id"),
        ("items/special", None, "special"),
    )
    assert target(routes.match("GET", "/api/items/special")) == "special"
    assert target(routes.match("GET", "/api/items/5")) == "by_id"
    assert target(routes.match("GET", "/api/items/x")) == "by_name"
    assert target(routes.match("GET", "/api/other/thing")) == "catch_all"


def test_method_filtering_and_mismatch():
    routes = table(
        ("items/{id}", frozenset({"GET"}), "get"),
        ("items/{id}", frozenset({"DELETE"}), "delete"),
    )
    assert target(routes.match("get", "/api/items/1")) == "get"
    assert target(routes.match("DELETE", "/api/items/1")) == "delete"
    result = routes.match("POST", "/api/items/1")
    assert result.route is None
    assert result.method_mismatch
    missing = routes.match("GET", "/api/nothing")
    assert missing.route is None
    assert not missing.method_mismatch


def test_route_prefix_handling():
    assert table(("x", None, "x")).match("GET", "/x").route is None
    assert target(table(("x", None, "x")).match("GET", "/API/x")) == "x"
    assert target(table(("x", None, "x"), prefix="").match("GET", "/x")) == "x"
    assert target(table(("x", None, "x"), prefix="v1/api").match("GET", "/v1/api/x")) == "x"
    assert target(table(("", None, "root")).match("GET", "/api")) == "root"
