"""resource.Quantity, as k8s.io/apimachinery/pkg/api/resource.

A quantity is a fixed-point number with a suffix: ``100m``, ``1.5``, ``2e3``, ``500Mi``,
``1Gi``. Values are exact: they are kept as an integer count of nano-units (upstream's
finest precision; finer inputs are rounded up, away from zero, to ``1n``).

``str(q)`` is upstream's ``Quantity.String()``: the canonical form (``0.5`` -> ``500m``,
``1024Ki`` -> ``1Mi``, ``1.5Gi`` -> ``1536Mi``), except that a string already in canonical
form is kept as it was written, as upstream does.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction
from typing import Final, Literal

Format = Literal["DecimalSI", "BinarySI", "DecimalExponent"]
DECIMAL_SI: Final = "DecimalSI"
BINARY_SI: Final = "BinarySI"
DECIMAL_EXPONENT: Final = "DecimalExponent"

_NANO: Final = 10**9
_MAX_INT64: Final = 2**63 - 1

ERR_FORMAT_WRONG: Final = (
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
)
ERR_NUMERIC: Final = "unable to parse numeric part of quantity"
ERR_SUFFIX: Final = "unable to parse quantity's suffix"


class QuantityError(ValueError):
    """A string that is not a quantity; the message is upstream's."""


_DEC_SUFFIXES: Final[dict[str, int]] = {
    "n": -9,
    "u": -6,
    "m": -3,
    "": 0,
    "k": 3,
    "M": 6,
    "G": 9,
    "T": 12,
    "P": 15,
    "E": 18,
}
_DEC_BY_EXP: Final[dict[int, str]] = {v: k for k, v in _DEC_SUFFIXES.items()}
_BIN_SUFFIXES: Final[dict[str, int]] = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_BIN_BY_EXP: Final[dict[int, str]] = {v: k for k, v in _BIN_SUFFIXES.items()}
_SUFFIX_CHARS: Final = frozenset("eEinumkKMGTP")
_DIGITS: Final = frozenset("0123456789")


def _interpret_suffix(suffix: str) -> tuple[int, int, Format] | None:
    """(base, exponent, format) of a suffix, as upstream's suffixHandler.interpret."""
    if suffix in _DEC_SUFFIXES:
        return 10, _DEC_SUFFIXES[suffix], DECIMAL_SI
    if suffix in _BIN_SUFFIXES:
        return 2, _BIN_SUFFIXES[suffix], BINARY_SI
    if len(suffix) > 1 and suffix[0] in "eE":
        rest = suffix[1:]
        body = rest[1:] if rest[:1] in "+-" else rest
        if not body or not all(c in _DIGITS for c in body):
            return None
        exp = int(rest)
        if not -(2**63) <= exp <= _MAX_INT64:
            return None
        return 10, exp, DECIMAL_EXPONENT
    return None


def _parse_quantity_string(s: str) -> tuple[bool, str, str, str, str]:
    """(positive, value, num, denom, suffix), as upstream's parseQuantityString."""
    positive = True
    pos = 0
    end = len(s)
    if pos < end:
        if s[0] == "-":
            positive = False
            pos += 1
        elif s[0] == "+":
            pos += 1
    # strip leading zeros
    i = pos
    while True:
        if i >= end:
            return positive, "0", "0", "", ""
        if s[i] == "0":
            pos += 1
            i += 1
            continue
        break
    # numerator
    i = pos
    while i < end and s[i] in _DIGITS:
        i += 1
    num = s[pos:i]
    if i >= end:
        return positive, s[0:end], num or "0", "", ""
    pos = i
    if not num:
        num = "0"
    denom = ""
    if pos < end and s[pos] == ".":
        pos += 1
        i = pos
        while i < end and s[i] in _DIGITS:
            i += 1
        denom = s[pos:i]
        if i >= end:
            return positive, s[0:end], num, denom, ""
        pos = i
    value = s[0:pos]
    suffix_start = pos
    i = pos
    while True:
        if i >= end:
            return positive, value, num, denom, s[suffix_start:end]
        if s[i] not in _SUFFIX_CHARS:
            pos = i
            break
        i += 1
    if pos < end and s[pos] in "+-":
        pos += 1
    i = pos
    while True:
        if i >= end:
            return positive, value, num, denom, s[suffix_start:end]
        if s[i] not in _DIGITS:
            break
        i += 1
    raise QuantityError(ERR_FORMAT_WRONG)


def _remove_factors(value: int, base: int) -> tuple[int, int]:
    times = 0
    negative = value < 0
    v = -value if negative else value
    while v >= base and v % base == 0:
        v //= base
        times += 1
    return (-v if negative else v), times


@functools.total_ordering
class Quantity:
    """An exact resource quantity. Immutable; arithmetic returns new quantities."""

    __slots__ = ("_nanos", "_s", "format")

    def __init__(self, nanos: int = 0, format: Format = DECIMAL_SI, *, s: str | None = None) -> None:
        self._nanos = nanos
        self.format: Format = format
        self._s = s

    # -- constructors -------------------------------------------------------------------

    @classmethod
    def parse(cls, s: str) -> Quantity:
        return parse_quantity(s)

    @classmethod
    def from_int(cls, value: int, format: Format = DECIMAL_SI) -> Quantity:
        """resource.NewQuantity."""
        return cls(value * _NANO, format)

    @classmethod
    def from_milli(cls, milli: int, format: Format = DECIMAL_SI) -> Quantity:
        """resource.NewMilliQuantity."""
        return cls(milli * 10**6, format)

    @classmethod
    def from_scaled(cls, value: int, scale: int, format: Format = DECIMAL_SI) -> Quantity:
        """resource.NewScaledQuantity: value * 10^scale (rounded up to nano precision)."""
        return cls(_round_up_to_nanos(Fraction(value) * Fraction(10) ** scale), format)

    # -- values -------------------------------------------------------------------------

    @property
    def nanos(self) -> int:
        return self._nanos

    def as_fraction(self) -> Fraction:
        return Fraction(self._nanos, _NANO)

    def is_zero(self) -> bool:
        return self._nanos == 0

    def sign(self) -> int:
        return (self._nanos > 0) - (self._nanos < 0)

    def scaled_value(self, scale: int) -> int:
        """ceil(q / 10^scale), as upstream's ScaledValue."""
        return math.ceil(self.as_fraction() / Fraction(10) ** scale)

    def value(self) -> int:
        """The value rounded up to an integer (upstream's Value())."""
        return self.scaled_value(0)

    def milli_value(self) -> int:
        """The value in milli-units, rounded up (upstream's MilliValue())."""
        return self.scaled_value(-3)

    def as_approximate_float64(self) -> float:
        return self._nanos / _NANO

    # -- arithmetic ---------------------------------------------------------------------

    def __add__(self, other: Quantity) -> Quantity:
        fmt = other.format if self._nanos == 0 else self.format
        return Quantity(self._nanos + other._nanos, fmt)

    def __sub__(self, other: Quantity) -> Quantity:
        fmt = other.format if self._nanos == 0 else self.format
        return Quantity(self._nanos - other._nanos, fmt)

    def __neg__(self) -> Quantity:
        return Quantity(-self._nanos, self.format)

    def __abs__(self) -> Quantity:
        return Quantity(abs(self._nanos), self.format)

    def mul(self, factor: int) -> Quantity:
        return Quantity(self._nanos * factor, self.format)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Quantity):
            return self._nanos == other._nanos
        return NotImplemented

    def __lt__(self, other: Quantity) -> bool:
        return self._nanos < other._nanos

    def __hash__(self) -> int:
        return hash(self._nanos)

    def cmp(self, other: Quantity) -> int:
        return (self._nanos > other._nanos) - (self._nanos < other._nanos)

    # -- formatting ---------------------------------------------------------------------

    def canonicalize(self) -> tuple[str, str]:
        """(number, suffix) of the canonical form, as upstream's CanonicalizeBytes."""
        if self._nanos == 0:
            return "0", ""
        fmt = self.format
        if fmt == BINARY_SI:
            if -1024 * _NANO < self._nanos < 1024 * _NANO or self._nanos % _NANO != 0:
                # small values and fractions are shown in DecimalSI (no precision lost)
                fmt = DECIMAL_SI
        if fmt == BINARY_SI:
            amount, times = _remove_factors(self._nanos // _NANO, 1024)
            suffix = _BIN_BY_EXP.get(times * 10)
            if suffix is None:
                # beyond Ei: as upstream, the largest suffix found is not used (no suffix)
                return str(self._nanos // _NANO), ""
            return str(amount), suffix
        amount, times = _remove_factors(self._nanos, 10)
        exponent = times - 9
        while exponent % 3 != 0:
            amount *= 10
            exponent -= 1
        if fmt == DECIMAL_EXPONENT:
            return str(amount), "" if exponent == 0 else f"e{exponent}"
        suffix = _DEC_BY_EXP.get(exponent)
        if suffix is None:
            return str(amount), ""
        return str(amount), suffix

    def __str__(self) -> str:
        if self._s is not None:
            return self._s
        number, suffix = self.canonicalize()
        return number + suffix

    def __repr__(self) -> str:
        return f"Quantity({str(self)!r})"


def _round_up_to_nanos(value: Fraction) -> int:
    """Round away from zero to a whole number of nano-units."""
    n = value * _NANO
    if n.denominator == 1:
        return n.numerator
    return math.ceil(n) if n > 0 else math.floor(n)


@functools.lru_cache(maxsize=4096)
def parse_quantity(s: str) -> Quantity:
    """resource.ParseQuantity. Raises QuantityError with upstream's message."""
    if not isinstance(s, str) or len(s) == 0:
        raise QuantityError(ERR_FORMAT_WRONG)
    if s == "0":
        return Quantity(0, DECIMAL_SI, s=s)
    positive, value, num, denom, suf = _parse_quantity_string(s)
    interp = _interpret_suffix(suf)
    if interp is None:
        raise QuantityError(ERR_SUFFIX)
    base, exponent, fmt = interp

    # upstream's fast path keeps the input string when it is already canonical
    precision = 0
    scale = 0
    mantissa = 1
    if fmt in (DECIMAL_EXPONENT, DECIMAL_SI):
        scale = exponent
        precision = 18 - (len(num) + len(denom))
    else:
        if exponent >= 0 and len(denom) == 0:
            mantissa = 1 << exponent
            precision = 15 - len(num) - int(exponent * 3 / 10) - 1
        else:
            precision = -1
    if precision >= 0:
        scale -= len(denom)
        if scale >= -9:
            shifted = num + denom
            v = int(shifted)
            if v > _MAX_INT64:
                raise QuantityError(ERR_NUMERIC)
            result = v * mantissa
            if result <= _MAX_INT64:
                if not positive:
                    result = -result
                nanos = result * 10 ** (scale + 9)
                keep = False
                if fmt == BINARY_SI:
                    keep = exponent % 10 == 0 and (v & 0x07) != 0
                else:
                    keep = scale % 3 == 0 and not shifted.endswith("000") and shifted[0] != "0"
                return Quantity(nanos, fmt, s=s if keep else None)

    digits = value.lstrip("+-")
    if (
        not digits
        or digits == "."
        or not all(c in _DIGITS or c == "." for c in digits)
        or digits.count(".") > 1
    ):
        raise QuantityError(ERR_NUMERIC)
    amount = Fraction(digits if not digits.endswith(".") else digits[:-1] or "0")
    if base == 10:
        amount *= Fraction(10) ** exponent
    else:
        amount *= Fraction(2) ** exponent
    nanos = _round_up_to_nanos(amount)
    if fmt == BINARY_SI and nanos > _MAX_INT64 * _NANO:
        nanos = _MAX_INT64 * _NANO
    if fmt == BINARY_SI and nanos == 0:
        fmt = DECIMAL_SI
    if value.startswith("-"):
        nanos = -nanos
    return Quantity(nanos, fmt)


def is_quantity(s: str) -> bool:
    try:
        parse_quantity(s)
    except QuantityError:
        return False
    return True


def canonical(s: str) -> str:
    """The canonical string of a quantity string (upstream's String() after parsing)."""
    return str(parse_quantity(s))


def to_milli(s: str) -> int:
    """The quantity in milli-units, rounded up (e.g. CPU "1.5" -> 1500, "100m" -> 100)."""
    return parse_quantity(s).milli_value()


def to_int(s: str) -> int:
    """The quantity as an integer, rounded up (e.g. memory "1Gi" -> 1073741824)."""
    return parse_quantity(s).value()


to_bytes = to_int


def compare(a: str, b: str) -> int:
    """-1, 0 or 1 as quantity a is less than, equal to or greater than quantity b."""
    return parse_quantity(a).cmp(parse_quantity(b))


def add(a: str, b: str) -> str:
    return str(parse_quantity(a) + parse_quantity(b))


def sub(a: str, b: str) -> str:
    return str(parse_quantity(a) - parse_quantity(b))


def quantity_str(value: object) -> str:
    """Render a wire value (string or JSON number) as its canonical quantity string.

    Falls back to ``str(value)`` for values that are not quantities.
    """
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int | float):
        value = repr(value) if isinstance(value, float) else str(value)
    if not isinstance(value, str):
        return str(value)
    try:
        return str(parse_quantity(value))
    except QuantityError:
        return value
