"""resource.Quantity: cases from upstream's quantity_test.go."""

from __future__ import annotations

from fractions import Fraction

import pytest

from kybernetes.api.quantity import (
    BINARY_SI,
    DECIMAL_EXPONENT,
    DECIMAL_SI,
    ERR_FORMAT_WRONG,
    ERR_SUFFIX,
    Quantity,
    QuantityError,
    add,
    canonical,
    compare,
    parse_quantity,
    quantity_str,
    sub,
    to_bytes,
    to_milli,
)

# (input, exact value, format) -- TestQuantityParse
PARSE_CASES = [
    ("0", Fraction(0), DECIMAL_SI),
    ("0n", Fraction(0), DECIMAL_SI),
    ("0u", Fraction(0), DECIMAL_SI),
    ("0m", Fraction(0), DECIMAL_SI),
    ("0Ki", Fraction(0), BINARY_SI),
    ("0k", Fraction(0), DECIMAL_SI),
    ("0Mi", Fraction(0), BINARY_SI),
    ("1Ki", Fraction(1024), BINARY_SI),
    ("8Ki", Fraction(8 * 1024), BINARY_SI),
    ("7Mi", Fraction(7 * 1024**2), BINARY_SI),
    ("6Gi", Fraction(6 * 1024**3), BINARY_SI),
    ("5Ti", Fraction(5 * 1024**4), BINARY_SI),
    ("4Pi", Fraction(4 * 1024**5), BINARY_SI),
    ("3Ei", Fraction(3 * 1024**6), BINARY_SI),
    ("5n", Fraction(5, 10**9), DECIMAL_SI),
    ("4u", Fraction(4, 10**6), DECIMAL_SI),
    ("3m", Fraction(3, 1000), DECIMAL_SI),
    ("9", Fraction(9), DECIMAL_SI),
    ("8k", Fraction(8000), DECIMAL_SI),
    ("7M", Fraction(7 * 10**6), DECIMAL_SI),
    ("2P", Fraction(2 * 10**15), DECIMAL_SI),
    ("1E", Fraction(10**18), DECIMAL_SI),
    ("1E-3", Fraction(1, 1000), DECIMAL_EXPONENT),
    ("1e3", Fraction(1000), DECIMAL_EXPONENT),
    ("1E6", Fraction(10**6), DECIMAL_EXPONENT),
    ("1e14", Fraction(10**14), DECIMAL_EXPONENT),
    ("100.035k", Fraction(100035), DECIMAL_SI),
    ("0.001", Fraction(1, 1000), DECIMAL_SI),
    ("0.0005k", Fraction(5, 10), DECIMAL_SI),
    ("0.5", Fraction(1, 2), DECIMAL_SI),
    ("0.00050k", Fraction(5, 10), DECIMAL_SI),
    ("0.5e-1", Fraction(5, 100), DECIMAL_EXPONENT),
    ("10.035M", Fraction(10035000), DECIMAL_SI),
    ("1.2e3", Fraction(1200), DECIMAL_EXPONENT),
    ("1.3E+6", Fraction(1300000), DECIMAL_EXPONENT),
    ("9.01", Fraction(901, 100), DECIMAL_SI),
    ("7.123456M", Fraction(7123456), DECIMAL_SI),
    ("6.987654321G", Fraction(6987654321), DECIMAL_SI),
    ("2.5P", Fraction(25 * 10**14), DECIMAL_SI),
    ("1.01E", Fraction(101 * 10**16), DECIMAL_SI),
    # things that round up to nano precision
    ("3.001n", Fraction(4, 10**9), DECIMAL_SI),
    ("1.1E-9", Fraction(2, 10**9), DECIMAL_EXPONENT),
    ("0.0000000001", Fraction(1, 10**9), DECIMAL_SI),
    ("0.5e-9", Fraction(1, 10**9), DECIMAL_EXPONENT),
    ("0.9n", Fraction(1, 10**9), DECIMAL_SI),
    ("0.00000012345", Fraction(124, 10**9), DECIMAL_SI),
    ("12E", Fraction(12 * 10**18), DECIMAL_SI),
    # fractional binary
    ("100.035Ki", Fraction(10243584, 100), BINARY_SI),
    ("0.5Mi", Fraction(512 * 1024), BINARY_SI),
    ("0.05Gi", Fraction(536870912, 10), BINARY_SI),
    # trolls
    (".001", Fraction(1, 1000), DECIMAL_SI),
    (".0001k", Fraction(1, 10), DECIMAL_SI),
    ("1.", Fraction(1), DECIMAL_SI),
    ("1.G", Fraction(10**9), DECIMAL_SI),
    ("-1Ki", Fraction(-1024), BINARY_SI),
]


@pytest.mark.parametrize(("text", "value", "fmt"), PARSE_CASES)
def test_parse(text: str, value: Fraction, fmt: str) -> None:
    q = parse_quantity(text)
    assert q.as_fraction() == value
    assert q.format == fmt


def test_binary_values_are_capped_at_max_int64() -> None:
    assert parse_quantity("9Ei").as_fraction() == 2**63 - 1
    assert parse_quantity("9223372036854775807Ki").as_fraction() == 2**63 - 1


# (value, scale, format, canonical) -- TestQuantityString / TestQuantityCanonicalization
STRING_CASES = [
    (1024 * 1024, 0, BINARY_SI, "1Mi"),
    (1024 * 1024 * 1024, 0, BINARY_SI, "1Gi"),
    (300 * 1024 * 1024, 0, BINARY_SI, "300Mi"),
    (6 * 1024, 0, BINARY_SI, "6Ki"),
    (1001 * 1024**3, 0, BINARY_SI, "1001Gi"),
    (1024**4, 0, BINARY_SI, "1Ti"),
    (5, 0, BINARY_SI, "5"),
    (500, -3, BINARY_SI, "500m"),
    (1, 9, DECIMAL_SI, "1G"),
    (1000, 6, DECIMAL_SI, "1G"),
    (1000000, 3, DECIMAL_SI, "1G"),
    (1000000000, 0, DECIMAL_SI, "1G"),
    (1, -3, DECIMAL_SI, "1m"),
    (80, -3, DECIMAL_SI, "80m"),
    (1080, -3, DECIMAL_SI, "1080m"),
    (108, -2, DECIMAL_SI, "1080m"),
    (10800, -4, DECIMAL_SI, "1080m"),
    (300, 6, DECIMAL_SI, "300M"),
    (1, 12, DECIMAL_SI, "1T"),
    (1234567, 6, DECIMAL_SI, "1234567M"),
    (1234567, -3, BINARY_SI, "1234567m"),
    (3, 3, DECIMAL_SI, "3k"),
    (1025, 0, BINARY_SI, "1025"),
    (0, 0, DECIMAL_SI, "0"),
    (0, 0, BINARY_SI, "0"),
    (1, 9, DECIMAL_EXPONENT, "1e9"),
    (1, -3, DECIMAL_EXPONENT, "1e-3"),
    (1, -9, DECIMAL_EXPONENT, "1e-9"),
    (80, -3, DECIMAL_EXPONENT, "80e-3"),
    (300, 6, DECIMAL_EXPONENT, "300e6"),
    (1, 12, DECIMAL_EXPONENT, "1e12"),
    (1, 3, DECIMAL_EXPONENT, "1e3"),
    (3, 3, DECIMAL_EXPONENT, "3e3"),
    (0, 0, DECIMAL_EXPONENT, "0"),
    (1, -9, DECIMAL_SI, "1n"),
    (80, -9, DECIMAL_SI, "80n"),
    (1080, -9, DECIMAL_SI, "1080n"),
    (108, -8, DECIMAL_SI, "1080n"),
    (10800, -10, DECIMAL_SI, "1080n"),
    (1, -6, DECIMAL_SI, "1u"),
    (80, -6, DECIMAL_SI, "80u"),
    (1080, -6, DECIMAL_SI, "1080u"),
    (-1080, -6, DECIMAL_SI, "-1080u"),
]


@pytest.mark.parametrize(("value", "scale", "fmt", "expect"), STRING_CASES)
def test_canonical_string(value: int, scale: int, fmt: str, expect: str) -> None:
    q = Quantity.from_scaled(value, scale, fmt)  # type: ignore[arg-type]
    assert str(q) == expect


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("100m", "100m"),
        ("0.1", "100m"),
        ("1.5", "1500m"),
        ("1000m", "1"),
        ("1000", "1k"),
        ("2e3", "2e3"),
        ("500Mi", "500Mi"),
        ("1024Ki", "1Mi"),
        ("1536Ki", "1536Ki"),
        ("1.5Gi", "1536Mi"),
        ("0.5Gi", "512Mi"),
        ("0.5Ki", "512"),
        ("12e-1", "1200e-3"),
        ("1.5e3", "1500"),
        ("1000000k", "1G"),
        ("-100m", "-100m"),
        (".5", "500m"),
        ("0.1n", "1n"),
        ("-0.1n", "-1n"),
        ("1.0001Ki", "1024102400u"),
        ("0.000000000001Ki", "2n"),
        # upstream keeps an input that is already canonical as it was written
        ("1E3", "1E3"),
        ("+1", "+1"),
        ("100Gi", "100Gi"),
    ],
)
def test_string_after_parse(text: str, expect: str) -> None:
    assert canonical(text) == expect


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", ERR_FORMAT_WRONG),
        ("abc", ERR_FORMAT_WRONG),
        ("1x", ERR_FORMAT_WRONG),
        ("1.2.3", ERR_FORMAT_WRONG),
        ("1Qi", ERR_FORMAT_WRONG),
        ("1e", ERR_SUFFIX),
        ("1ki", ERR_SUFFIX),
        ("1KB", ERR_FORMAT_WRONG),
        ("--1", ERR_SUFFIX),
        ("1i", ERR_SUFFIX),
    ],
)
def test_parse_errors(text: str, message: str) -> None:
    with pytest.raises(QuantityError) as exc:
        parse_quantity(text)
    assert str(exc.value) == message
    assert isinstance(exc.value, ValueError)


def test_comparison_and_arithmetic() -> None:
    assert parse_quantity("1Gi") > parse_quantity("1G")
    assert parse_quantity("1000m") == parse_quantity("1")
    assert compare("500m", "0.5") == 0
    assert compare("100m", "1") == -1
    assert compare("2", "1500m") == 1
    assert add("100m", "900m") == "1"
    assert add("1Gi", "1Gi") == "2Gi"
    assert sub("1", "250m") == "750m"
    # adding to zero takes the other operand's format
    assert str(Quantity() + parse_quantity("1Ki")) == "1Ki"
    assert str(-parse_quantity("1Ki")) == "-1Ki"
    assert sorted([parse_quantity("2"), parse_quantity("100m"), parse_quantity("1Ki")]) == [
        parse_quantity("100m"),
        parse_quantity("2"),
        parse_quantity("1Ki"),
    ]


def test_value_helpers_round_up() -> None:
    assert to_milli("1.5") == 1500
    assert to_milli("100m") == 100
    assert to_milli("1n") == 1  # MilliValue rounds up
    assert to_bytes("1Gi") == 1073741824
    assert to_bytes("1.5k") == 1500
    assert parse_quantity("1500m").value() == 2
    assert parse_quantity("-1500m").value() == -1
    assert Quantity.from_milli(1500).milli_value() == 1500
    assert str(Quantity.from_milli(1500)) == "1500m"
    assert str(Quantity.from_int(1024, BINARY_SI)) == "1Ki"
    assert parse_quantity("250m").as_approximate_float64() == 0.25


def test_quantity_str_of_wire_values() -> None:
    assert quantity_str("0.5") == "500m"
    assert quantity_str(2) == "2"
    assert quantity_str(0.5) == "500m"
    assert quantity_str("not-a-quantity") == "not-a-quantity"
