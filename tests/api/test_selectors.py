"""Label selectors: cases from upstream's labels/selector_test.go and metav1 helpers."""

from __future__ import annotations

import pytest

from kybernetes.api.selectors import (
    OP_EQUALS,
    OP_IN,
    Requirement,
    Selector,
    SelectorParseError,
    format_label_selector,
    format_labels,
    is_qualified_name,
    is_valid_label_value,
    new_requirement,
    parse_selector,
    selector_from_label_selector,
    selector_from_set,
)

GOOD = [
    "x=a,y=b,z=c",
    "",
    "x!=a,y=b",
    "x=",
    "x= ",
    "x=,z= ",
    "x= ,z= ",
    "!x",
    "x>1",
    "x>1,z<5",
    "x notin (a)",
    "x in (foo,,baz),y,z notin ()",
    "x==a",
    "notin=in",
    "a.b/c-d_e=f",
]


@pytest.mark.parametrize("s", GOOD)
def test_parse_good(s: str) -> None:
    parse_selector(s)


@pytest.mark.parametrize(
    ("s", "canonical"),
    [
        ("x=a,y=b,z=c", "x=a,y=b,z=c"),
        ("z=c,x=a", "x=a,z=c"),  # sorted by key
        ("x in (foo,,baz),y,z notin ()", "x in (,baz,foo),y,z notin ()"),
        ("env in (prod, qa)", "env in (prod,qa)"),
        ("  !x ,  y != b", "!x,y!=b"),
        ("x==a", "x==a"),
        ("x>1", "x>1"),
        ("", ""),
    ],
)
def test_string(s: str, canonical: str) -> None:
    assert str(parse_selector(s)) == canonical


@pytest.mark.parametrize(
    ("s", "message"),
    [
        (
            "x=a||y=b",
            'unable to parse requirement: values[0][x]: Invalid value: "a||y": a valid label must be an empty '
            "string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
            "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is "
            "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
        ),
        ("x==a==b", "found '==', expected: ',' or 'end of string'"),
        ("!x=a", "found '=', expected: ',' or 'end of string'"),
        (
            "x<a",
            "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be an integer",
        ),
        ("a=b c", "found 'c', expected: ',' or 'end of string'"),
        ("a in b", "unable to parse requirement: found 'b' expected: '('"),
        ("a=(", "unable to parse requirement: found '(', expected: identifier"),
        ("a,", "found '', expected: identifier after ','"),
        ("a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"),
        (",a", "found ',', expected: !, identifier, or 'end of string'"),
        ("x in (a b)", "unable to parse requirement: found 'b', expected: ',' or ')'"),
    ],
)
def test_parse_errors(s: str, message: str) -> None:
    with pytest.raises(SelectorParseError) as exc:
        parse_selector(s)
    assert str(exc.value) == message
    assert isinstance(exc.value, ValueError)


def test_invalid_key_and_value_messages() -> None:
    with pytest.raises(SelectorParseError) as exc:
        parse_selector("-foo")
    assert str(exc.value) == (
        'unable to parse requirement: <nil>: Invalid value: "-foo": name part must consist of alphanumeric '
        "characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  "
        "or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
    )
    with pytest.raises(SelectorParseError) as exc:
        parse_selector("app=a b=c")
    with pytest.raises(SelectorParseError) as exc:
        parse_selector("app=-bad")
    assert str(exc.value).startswith(
        'unable to parse requirement: values[0][app]: Invalid value: "-bad": a valid label must be an empty string'
    )
    with pytest.raises(SelectorParseError) as exc:
        parse_selector("x in (-a,-b)")
    assert str(exc.value).startswith("unable to parse requirement: [values[0][x]: Invalid value:")


@pytest.mark.parametrize(
    ("s", "labels"),
    [
        ("", {"x": "y"}),
        ("x=y", {"x": "y"}),
        ("x=y,z=w", {"x": "y", "z": "w"}),
        ("x!=y,z!=w", {"x": "z", "z": "a"}),
        ("notin=in", {"notin": "in"}),
        ("x", {"x": "z"}),
        ("!x", {"y": "z"}),
        ("x>1", {"x": "2"}),
        ("x<1", {"x": "0"}),
        ("x in (a,b)", {"x": "b"}),
        ("x notin (a,b)", {"y": "a"}),
        ("x notin (a,b)", {"x": "c"}),
        ("x=", {"x": ""}),
        ("x!=y", {}),
    ],
)
def test_matches(s: str, labels: dict[str, str]) -> None:
    sel = parse_selector(s)
    assert sel.matches(labels)
    # the uncompiled requirement logic agrees with the compiled matchers
    assert all(r.matches(labels) for r in sel.requirements)


@pytest.mark.parametrize(
    ("s", "labels"),
    [
        ("x=z", {}),
        ("x=y", {"x": "z"}),
        ("x=y,z=w", {"x": "w", "z": "w"}),
        ("x!=y,z!=w", {"x": "z", "z": "w"}),
        ("x", {"y": "z"}),
        ("!x", {"x": "z"}),
        ("x>1", {"x": "0"}),
        ("x<1", {"x": "2"}),
        ("x>1", {"x": "abc"}),
        ("x in (a,b)", {"x": "c"}),
        ("x in (a,b)", {}),
        ("x notin (a,b)", {"x": "a"}),
    ],
)
def test_no_match(s: str, labels: dict[str, str]) -> None:
    assert not parse_selector(s).matches(labels)


def test_none_labels_and_empty() -> None:
    assert parse_selector("").empty()
    assert parse_selector("").matches(None)
    assert parse_selector("!x").matches(None)
    assert not parse_selector("x").matches(None)
    assert not parse_selector("x").empty()


def test_label_selector_as_selector() -> None:
    nothing = selector_from_label_selector(None)
    assert not nothing.matches({})
    assert not nothing.matches({"a": "b"})
    assert not nothing.empty()
    assert str(nothing) == ""
    everything = selector_from_label_selector({})
    assert everything.empty() and everything.matches({"a": "b"}) and everything.matches(None)
    sel = selector_from_label_selector(
        {
            "matchLabels": {"app": "web", "tier": "fe"},
            "matchExpressions": [
                {"key": "env", "operator": "In", "values": ["qa", "prod"]},
                {"key": "legacy", "operator": "DoesNotExist"},
                {"key": "team", "operator": "Exists"},
                {"key": "zone", "operator": "NotIn", "values": ["b"]},
            ],
        }
    )
    assert str(sel) == "app=web,env in (prod,qa),!legacy,team,tier=fe,zone notin (b)"
    assert sel.matches({"app": "web", "tier": "fe", "env": "qa", "team": "x"})
    assert not sel.matches({"app": "web", "tier": "fe", "env": "qa", "team": "x", "legacy": "1"})
    assert not sel.matches({"app": "web", "tier": "fe", "env": "dev", "team": "x"})
    assert not sel.matches({"app": "web", "tier": "fe", "env": "qa", "team": "x", "zone": "b"})


def test_label_selector_errors() -> None:
    with pytest.raises(SelectorParseError) as exc:
        selector_from_label_selector({"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]})
    assert str(exc.value) == '"Gt" is not a valid label selector operator'
    with pytest.raises(SelectorParseError) as exc:
        selector_from_label_selector({"matchExpressions": [{"key": "a", "operator": "In", "values": []}]})
    assert (
        str(exc.value) == "values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty"
    )
    with pytest.raises(SelectorParseError) as exc:
        selector_from_label_selector({"matchLabels": {"a/b/c": "x"}})
    assert str(exc.value).startswith('key: Invalid value: "a/b/c": a qualified name must consist of')
    with pytest.raises(SelectorParseError) as exc:
        selector_from_label_selector(
            {"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]}
        )
    assert "values set must be empty for exists and does not exist" in str(exc.value)


def test_selector_from_set_and_formatting() -> None:
    assert selector_from_set(None).empty()
    assert selector_from_set({}).matches({"a": "b"})
    sel = selector_from_set({"b": "2", "a": "1"})
    assert str(sel) == "a=1,b=2"
    assert sel.matches({"a": "1", "b": "2", "c": "3"})
    assert not sel.matches({"a": "1"})
    assert sel.requires_exact_match("a") == "1"
    assert sel.requires_exact_match("z") is None
    assert format_labels({}) == "<none>"
    assert format_labels({"b": "2", "a": "1"}) == "a=1,b=2"
    assert format_label_selector(None) == "<none>"
    assert format_label_selector({}) == "<none>"
    assert format_label_selector({"matchLabels": {"app": "x"}}) == "app=x"
    assert format_label_selector({"matchExpressions": [{"key": "a", "operator": "Bad"}]}) == "<error>"


def test_requirement_and_selector_api() -> None:
    r = new_requirement("app", OP_IN, ["b", "a"])
    assert str(r) == "app in (a,b)"
    assert r == Requirement("app", OP_IN, ("b", "a"))
    sel = Selector([new_requirement("z", OP_EQUALS, ["1"])]).add(new_requirement("app", OP_IN, ["a", "b"]))
    assert str(sel) == "app in (a,b),z=1"
    assert sel == parse_selector("z=1,app in (a,b)")
    assert str(sel) == str(parse_selector("z=1,app in (b,a)"))
    assert Selector.nothing().add(r).is_nothing()
    assert Selector.everything().empty()


def test_name_validation_helpers() -> None:
    assert is_qualified_name("example.com/MyName") == []
    assert is_qualified_name("/a") == ["prefix part must be non-empty"]
    assert is_qualified_name("a" * 64) == ["name part must be no more than 63 characters"]
    assert is_qualified_name("Example.com/a")[0].startswith("prefix part a lowercase RFC 1123 subdomain")
    assert is_valid_label_value("") == []
    assert is_valid_label_value("a" * 64)[0] == "must be no more than 63 characters"
