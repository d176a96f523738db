"""Label selectors, as k8s.io/apimachinery/pkg/labels (and metav1.LabelSelector helpers).

``parse_selector("app=web,tier in (a,b),!legacy")`` parses the query-string syntax with
upstream's lexer, parser, validation and error messages; ``selector_from_label_selector``
converts a ``metav1.LabelSelector`` dict as ``metav1.LabelSelectorAsSelector``.

Selectors are immutable, sorted by key as upstream, and ``matches`` is precompiled into a
tuple of small closures.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Final

from kybernetes.api.validation.field import FieldError, invalid, not_supported
from kybernetes.api.validation.names import is_qualified_name, is_valid_label_value

# -- validation: upstream's validators live in kybernetes.api.validation.names ---------------


# -- errors -------------------------------------------------------------------------------


class SelectorParseError(ValueError):
    """A label selector that does not parse or validate; str() is upstream's message."""

    def __init__(self, message: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or []


def _aggregate(errors: list[FieldError]) -> str:
    """utilerrors.Aggregate.Error(): one message, or "[a, b]" for several (deduplicated)."""
    msgs: list[str] = []
    seen: set[str] = set()
    for e in errors:
        m = str(e)
        if m not in seen:
            seen.add(m)
            msgs.append(m)
    if len(msgs) == 1:
        return msgs[0]
    return "[" + ", ".join(msgs) + "]"


def _field_error_str(err: FieldError) -> str:
    return str(err) if err.field else "<nil>: " + err.error_body()


# -- requirements -----------------------------------------------------------------------

# selection.Operator values
OP_DOES_NOT_EXIST: Final = "!"
OP_EQUALS: Final = "="
OP_DOUBLE_EQUALS: Final = "=="
OP_IN: Final = "in"
OP_NOT_EQUALS: Final = "!="
OP_NOT_IN: Final = "notin"
OP_EXISTS: Final = "exists"
OP_GREATER_THAN: Final = "gt"
OP_LESS_THAN: Final = "lt"

_UNARY_OPERATORS: Final = (OP_EXISTS, OP_DOES_NOT_EXIST)
_BINARY_OPERATORS: Final = (
    OP_IN,
    OP_NOT_IN,
    OP_EQUALS,
    OP_DOUBLE_EQUALS,
    OP_NOT_EQUALS,
    OP_GREATER_THAN,
    OP_LESS_THAN,
)
_VALID_OPERATORS: Final = _BINARY_OPERATORS + _UNARY_OPERATORS

Labels = Mapping[str, str]
_Matcher = Callable[[Labels], bool]


def _parse_int64(s: str) -> int | None:
    body = s[1:] if s[:1] in "+-" else s
    if not body or not body.isascii() or not body.isdigit():
        return None
    v = int(s)
    if not -(2**63) <= v < 2**63:
        return None
    return v


@dataclass(frozen=True, slots=True)
class Requirement:
    key: str
    operator: str
    values: tuple[str, ...] = ()

    def matches(self, labels: Labels) -> bool:
        op = self.operator
        if op in (OP_IN, OP_EQUALS, OP_DOUBLE_EQUALS):
            v = labels.get(self.key)
            return v is not None and v in self.values
        if op in (OP_NOT_IN, OP_NOT_EQUALS):
            v = labels.get(self.key)
            return v is None or v not in self.values
        if op == OP_EXISTS:
            return self.key in labels
        if op == OP_DOES_NOT_EXIST:
            return self.key not in labels
        if op in (OP_GREATER_THAN, OP_LESS_THAN):
            v = labels.get(self.key)
            if v is None or len(self.values) != 1:
                return False
            lv = _parse_int64(v)
            rv = _parse_int64(self.values[0])
            if lv is None or rv is None:
                return False
            return lv > rv if op == OP_GREATER_THAN else lv < rv
        return False

    def compile(self) -> _Matcher:
        key = self.key
        op = self.operator
        if op in (OP_IN, OP_EQUALS, OP_DOUBLE_EQUALS):
            if len(self.values) == 1:
                want = self.values[0]
                return lambda ls: ls.get(key) == want
            vs = frozenset(self.values)
            return lambda ls: (v := ls.get(key)) is not None and v in vs
        if op in (OP_NOT_IN, OP_NOT_EQUALS):
            if len(self.values) == 1:
                want = self.values[0]
                return lambda ls: ls.get(key) != want
            vs = frozenset(self.values)
            return lambda ls: (v := ls.get(key)) is None or v not in vs
        if op == OP_EXISTS:
            return lambda ls: key in ls
        if op == OP_DOES_NOT_EXIST:
            return lambda ls: key not in ls
        return self.matches

    def __str__(self) -> str:
        op = self.operator
        out = ("!" if op == OP_DOES_NOT_EXIST else "") + self.key
        if op in (OP_EXISTS, OP_DOES_NOT_EXIST):
            return out
        out += {
            OP_EQUALS: "=",
            OP_DOUBLE_EQUALS: "==",
            OP_NOT_EQUALS: "!=",
            OP_IN: " in ",
            OP_NOT_IN: " notin ",
            OP_GREATER_THAN: ">",
            OP_LESS_THAN: "<",
        }.get(op, "")
        vals = self.values[0] if len(self.values) == 1 else ",".join(sorted(self.values))
        if op in (OP_IN, OP_NOT_IN):
            return out + "(" + vals + ")"
        return out + vals


def new_requirement(key: str, operator: str, values: Iterable[str], *, path: str = "") -> Requirement:
    """labels.NewRequirement: validates key, operator and values (upstream's messages)."""
    vals = list(values)
    errs: list[FieldError] = []
    prefix = path + "." if path else ""
    key_err = _validate_label_key(key, prefix + "key")
    if key_err is not None:
        errs.append(key_err)
    value_path = prefix + "values"
    if operator in (OP_IN, OP_NOT_IN):
        if not vals:
            errs.append(invalid(value_path, vals, "for 'in', 'notin' operators, values set can't be empty"))
    elif operator in (OP_EQUALS, OP_DOUBLE_EQUALS, OP_NOT_EQUALS):
        if len(vals) != 1:
            errs.append(invalid(value_path, vals, "exact-match compatibility requires one single value"))
    elif operator in (OP_EXISTS, OP_DOES_NOT_EXIST):
        if vals:
            errs.append(invalid(value_path, vals, "values set must be empty for exists and does not exist"))
    elif operator in (OP_GREATER_THAN, OP_LESS_THAN):
        if len(vals) != 1:
            errs.append(invalid(value_path, vals, "for 'Gt', 'Lt' operators, exactly one value is required"))
        for i, v in enumerate(vals):
            if _parse_int64(v) is None:
                errs.append(
                    invalid(f"{value_path}[{i}]", v, "for 'Gt', 'Lt' operators, the value must be an integer")
                )
    else:
        errs.append(not_supported(prefix + "operator", operator, list(_VALID_OPERATORS)))
    for i, v in enumerate(vals):
        verr = _validate_label_value(key, v, f"{value_path}[{i}]")
        if verr is not None:
            errs.append(verr)
    if errs:
        raise SelectorParseError(_aggregate(errs), errs)
    return Requirement(key, operator, tuple(vals))


def _validate_label_key(key: str, path: str) -> FieldError | None:
    msgs = is_qualified_name(key)
    if msgs:
        return invalid(path, key, "; ".join(msgs))
    return None


def _validate_label_value(key: str, value: str, path: str) -> FieldError | None:
    msgs = is_valid_label_value(value)
    if msgs:
        return invalid(f"{path}[{key}]", value, "; ".join(msgs))
    return None


# -- selectors ----------------------------------------------------------------------------


class Selector:
    """A label selector: AND of requirements (sorted by key). Immutable."""

    __slots__ = ("_matchers", "_nothing", "requirements")

    def __init__(self, requirements: Iterable[Requirement] = (), *, nothing: bool = False) -> None:
        reqs = sorted(requirements, key=lambda r: r.key)
        self.requirements: tuple[Requirement, ...] = tuple(reqs)
        self._nothing = nothing
        self._matchers: tuple[_Matcher, ...] = tuple(r.compile() for r in reqs)

    @classmethod
    def everything(cls) -> Selector:
        return _EVERYTHING

    @classmethod
    def nothing(cls) -> Selector:
        return _NOTHING

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        if self._nothing:
            return False
        ls: Mapping[str, str] = labels if labels is not None else _EMPTY
        for m in self._matchers:
            if not m(ls):
                return False
        return True

    def empty(self) -> bool:
        """True if the selector does not restrict the selection space (upstream's Empty())."""
        return not self._nothing and not self.requirements

    def is_nothing(self) -> bool:
        return self._nothing

    def add(self, *reqs: Requirement) -> Selector:
        if self._nothing:
            return self
        return Selector(self.requirements + reqs)

    def requires_exact_match(self, label: str) -> str | None:
        """The value a selector requires for a label, when it requires a single one."""
        for r in self.requirements:
            if r.key == label:
                if r.operator in (OP_EQUALS, OP_DOUBLE_EQUALS, OP_IN) and len(r.values) == 1:
                    return r.values[0]
                return None
        return None

    def __str__(self) -> str:
        if self._nothing:
            return ""
        return ",".join(str(r) for r in self.requirements)

    def __repr__(self) -> str:
        return "Selector(<nothing>)" if self._nothing else f"Selector({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Selector):
            return NotImplemented
        return self._nothing == other._nothing and self.requirements == other.requirements

    def __hash__(self) -> int:
        return hash((self._nothing, self.requirements))


_EMPTY: Final[Mapping[str, str]] = {}
_EVERYTHING: Final = Selector()
_NOTHING: Final = Selector(nothing=True)


# -- lexer / parser -----------------------------------------------------------------------


class _Tok(IntEnum):
    ERROR = 0
    END = 1
    CLOSED_PAR = 2
    COMMA = 3
    DOES_NOT_EXIST = 4
    DOUBLE_EQUALS = 5
    EQUALS = 6
    GREATER_THAN = 7
    IDENTIFIER = 8
    IN = 9
    LESS_THAN = 10
    NOT_EQUALS = 11
    NOT_IN = 12
    OPEN_PAR = 13


_STRING2TOKEN: Final[dict[str, _Tok]] = {
    ")": _Tok.CLOSED_PAR,
    ",": _Tok.COMMA,
    "!": _Tok.DOES_NOT_EXIST,
    "==": _Tok.DOUBLE_EQUALS,
    "=": _Tok.EQUALS,
    ">": _Tok.GREATER_THAN,
    "in": _Tok.IN,
    "<": _Tok.LESS_THAN,
    "!=": _Tok.NOT_EQUALS,
    "notin": _Tok.NOT_IN,
    "(": _Tok.OPEN_PAR,
}
_SPECIAL: Final = frozenset("=!(),><")
_WHITESPACE: Final = frozenset(" \t\r\n")


def _lex(s: str) -> list[tuple[_Tok, str]]:
    items: list[tuple[_Tok, str]] = []
    pos = 0
    n = len(s)
    while True:
        while pos < n and s[pos] in _WHITESPACE:
            pos += 1
        if pos >= n:
            items.append((_Tok.END, ""))
            return items
        ch = s[pos]
        if ch in _SPECIAL:
            buf = ""
            last: tuple[_Tok, str] | None = None
            while pos < n and s[pos] in _SPECIAL:
                buf += s[pos]
                pos += 1
                tok = _STRING2TOKEN.get(buf)
                if tok is not None:
                    last = (tok, buf)
                elif last is not None:
                    pos -= 1
                    break
            if last is None:
                items.append((_Tok.ERROR, f"error expected: keyword found '{buf}'"))
            else:
                items.append(last)
        else:
            start = pos
            while pos < n and s[pos] not in _SPECIAL and s[pos] not in _WHITESPACE:
                pos += 1
            word = s[start:pos]
            items.append((_STRING2TOKEN.get(word, _Tok.IDENTIFIER), word))


class _Parser:
    def __init__(self, s: str) -> None:
        self.items = _lex(s)
        self.position = 0

    def lookahead(self, values_ctx: bool) -> tuple[_Tok, str]:
        tok, lit = self.items[self.position]
        if values_ctx and tok in (_Tok.IN, _Tok.NOT_IN):
            tok = _Tok.IDENTIFIER
        return tok, lit

    def consume(self, values_ctx: bool) -> tuple[_Tok, str]:
        tok, lit = self.lookahead(values_ctx)
        self.position += 1
        return tok, lit

    def parse(self) -> list[Requirement]:
        reqs: list[Requirement] = []
        while True:
            tok, lit = self.lookahead(True)
            if tok in (_Tok.IDENTIFIER, _Tok.DOES_NOT_EXIST):
                try:
                    reqs.append(self.parse_requirement())
                except SelectorParseError as e:
                    raise SelectorParseError(f"unable to parse requirement: {e.message}", e.errors) from None
                t, lt = self.consume(True)
                if t == _Tok.END:
                    return reqs
                if t == _Tok.COMMA:
                    t2, l2 = self.lookahead(True)
                    if t2 not in (_Tok.IDENTIFIER, _Tok.DOES_NOT_EXIST):
                        raise SelectorParseError(f"found '{l2}', expected: identifier after ','")
                else:
                    raise SelectorParseError(f"found '{lt}', expected: ',' or 'end of string'")
            elif tok == _Tok.END:
                return reqs
            else:
                raise SelectorParseError(f"found '{lit}', expected: !, identifier, or 'end of string'")

    def parse_requirement(self) -> Requirement:
        key, operator = self.parse_key_and_infer_operator()
        if operator in (OP_EXISTS, OP_DOES_NOT_EXIST):
            return new_requirement(key, operator, [])
        operator = self.parse_operator()
        if operator in (OP_IN, OP_NOT_IN):
            values = self.parse_values()
        else:
            values = self.parse_exact_value()
        return new_requirement(key, operator, sorted(values))

    def parse_key_and_infer_operator(self) -> tuple[str, str]:
        operator = ""
        tok, literal = self.consume(True)
        if tok == _Tok.DOES_NOT_EXIST:
            operator = OP_DOES_NOT_EXIST
            tok, literal = self.consume(True)
        if tok != _Tok.IDENTIFIER:
            raise SelectorParseError(f"found '{literal}', expected: identifier")
        msgs = is_qualified_name(literal)
        if msgs:
            err = invalid("", literal, "; ".join(msgs))
            raise SelectorParseError(_field_error_str(err), [err])
        t, _ = self.lookahead(True)
        if t in (_Tok.END, _Tok.COMMA) and operator != OP_DOES_NOT_EXIST:
            operator = OP_EXISTS
        return literal, operator

    def parse_operator(self) -> str:
        tok, lit = self.consume(False)
        op = {
            _Tok.IN: OP_IN,
            _Tok.EQUALS: OP_EQUALS,
            _Tok.DOUBLE_EQUALS: OP_DOUBLE_EQUALS,
            _Tok.GREATER_THAN: OP_GREATER_THAN,
            _Tok.LESS_THAN: OP_LESS_THAN,
            _Tok.NOT_IN: OP_NOT_IN,
            _Tok.NOT_EQUALS: OP_NOT_EQUALS,
        }.get(tok)
        if op is None:
            raise SelectorParseError(f"found '{lit}', expected: {', '.join(_BINARY_OPERATORS)}")
        return op

    def parse_values(self) -> set[str]:
        tok, lit = self.consume(True)
        if tok != _Tok.OPEN_PAR:
            raise SelectorParseError(f"found '{lit}' expected: '('")
        tok, lit = self.lookahead(True)
        if tok in (_Tok.IDENTIFIER, _Tok.COMMA):
            s = self.parse_identifiers_list()
            tok2, _ = self.consume(True)
            if tok2 != _Tok.CLOSED_PAR:
                raise SelectorParseError(f"found '{lit}', expected: ')'")
            return s
        if tok == _Tok.CLOSED_PAR:
            self.consume(True)
            return {""}
        raise SelectorParseError(f"found '{lit}', expected: ',', ')' or identifier")

    def parse_identifiers_list(self) -> set[str]:
        s: set[str] = set()
        while True:
            tok, lit = self.consume(True)
            if tok == _Tok.IDENTIFIER:
                s.add(lit)
                tok2, lit2 = self.lookahead(True)
                if tok2 == _Tok.COMMA:
                    continue
                if tok2 == _Tok.CLOSED_PAR:
                    return s
                raise SelectorParseError(f"found '{lit2}', expected: ',' or ')'")
            if tok == _Tok.COMMA:
                if not s:
                    s.add("")
                tok2, _ = self.lookahead(True)
                if tok2 == _Tok.CLOSED_PAR:
                    s.add("")
                    return s
                if tok2 == _Tok.COMMA:
                    self.consume(True)
                    s.add("")
            else:
                raise SelectorParseError(f"found '{lit}', expected: ',', or identifier")

    def parse_exact_value(self) -> set[str]:
        tok, _ = self.lookahead(True)
        if tok in (_Tok.END, _Tok.COMMA):
            return {""}
        tok, lit = self.consume(True)
        if tok == _Tok.IDENTIFIER:
            return {lit}
        raise SelectorParseError(f"found '{lit}', expected: identifier")


_PARSE_CACHE: dict[str, Selector] = {}
_PARSE_CACHE_MAX: Final = 1024


def parse_selector(s: str) -> Selector:
    """labels.Parse. Raises SelectorParseError (a ValueError) with upstream's message."""
    cached = _PARSE_CACHE.get(s)
    if cached is not None:
        return cached
    sel = Selector(_Parser(s).parse())
    if len(_PARSE_CACHE) >= _PARSE_CACHE_MAX:
        _PARSE_CACHE.clear()
    _PARSE_CACHE[s] = sel
    return sel


def selector_from_set(labels: Mapping[str, str] | None) -> Selector:
    """labels.SelectorFromSet: exact match of every pair; None/{} select everything."""
    if not labels:
        return _EVERYTHING
    return Selector(Requirement(k, OP_EQUALS, (v,)) for k, v in labels.items())


def validated_selector_from_set(labels: Mapping[str, str] | None) -> Selector:
    """labels.ValidatedSelectorFromSet."""
    if not labels:
        return _EVERYTHING
    return Selector(new_requirement(k, OP_EQUALS, [v]) for k, v in labels.items())


_LS_OPERATORS: Final = {
    "In": OP_IN,
    "NotIn": OP_NOT_IN,
    "Exists": OP_EXISTS,
    "DoesNotExist": OP_DOES_NOT_EXIST,
}


def selector_from_label_selector(ls: Mapping[str, Any] | None) -> Selector:
    """metav1.LabelSelectorAsSelector: None selects nothing, {} selects everything.

    Raises SelectorParseError for invalid keys, values or operators.
    """
    if ls is None:
        return _NOTHING
    match_labels: Mapping[str, str] = ls.get("matchLabels") or {}
    exprs: list[Mapping[str, Any]] = ls.get("matchExpressions") or []
    if len(match_labels) + len(exprs) == 0:
        return _EVERYTHING
    reqs: list[Requirement] = []
    for k, v in match_labels.items():
        reqs.append(new_requirement(k, OP_EQUALS, [v]))
    for expr in exprs:
        op_name = expr.get("operator", "")
        op = _LS_OPERATORS.get(op_name)
        if op is None:
            raise SelectorParseError(f'"{op_name}" is not a valid label selector operator')
        reqs.append(new_requirement(expr.get("key", ""), op, list(expr.get("values") or [])))
    return Selector(reqs)


def format_label_selector(ls: Mapping[str, Any] | None) -> str:
    """metav1.FormatLabelSelector: "<none>" for an empty selector, "<error>" for an invalid one."""
    try:
        s = str(selector_from_label_selector(ls))
    except SelectorParseError:
        return "<error>"
    return s or "<none>"


def format_labels(labels: Mapping[str, str] | None) -> str:
    """labels.FormatLabels: "k=v,k2=v2" sorted by key, or "<none>"."""
    if not labels:
        return "<none>"
    return ",".join(f"{k}={labels[k]}" for k in sorted(labels))


def label_selector_matches(ls: Mapping[str, Any] | None, labels: Mapping[str, str] | None) -> bool:
    """Convenience: does a metav1.LabelSelector dict select these labels (invalid -> False)."""
    try:
        return selector_from_label_selector(ls).matches(labels)
    except SelectorParseError:
        return False
