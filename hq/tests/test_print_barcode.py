"""Code 128 against published encodings: check symbols, start and stop patterns, set C for digits."""
import pytest

from loyalty.barcode import PATTERNS, code128_svg, code128_values, code128_widths


def bits(widths: str) -> str:
    return "".join(("1" if index % 2 == 0 else "0") * int(width) for index, width in enumerate(widths))


def test_every_symbol_is_three_bars_and_three_spaces_eleven_modules_wide():
    assert len(PATTERNS) == 106 and len(set(PATTERNS)) == 106
    assert all(len(pattern) == 6 and sum(map(int, pattern)) == 11 for pattern in PATTERNS)


@pytest.mark.parametrize(("text", "values"), [
    # Worked examples of the check symbol (weighted sum modulo 103) as published for Code 128.
    ("345678", [105, 34, 56, 78, 73]),  # set C: two digits a symbol
    ("abcdef", [104, 65, 66, 67, 68, 69, 70, 97]),  # set B
    ("PJJ123C", [104, 48, 42, 42, 17, 18, 19, 35, 55]),  # set B (54 with start A, as often printed)
])
def test_known_encodings(text, values):
    assert code128_values(text) == values


def test_a_card_number_is_six_pairs_in_set_c_and_the_odd_last_digit_in_set_b():
    # 105 + 6·1 + 7·100 + 8·24 = 1003 = 9·103 + 76
    assert code128_values("0000000000018") == [105, 0, 0, 0, 0, 0, 1, 100, 24, 76]


def test_start_c_and_stop_are_the_standard_patterns():
    encoded = bits(code128_widths("12"))

    assert encoded.startswith("11010011100")  # start C
    assert encoded.endswith("11000111010" + "11")  # stop and its final bar
    assert encoded == "11010011100" + "10110011100" + "10011001110" + "1100011101011"  # 12, check 14


def test_short_digit_runs_stay_in_set_b():
    assert code128_values("123")[0] == 104
    assert code128_values("12")[0] == 105


def test_the_svg_draws_one_bar_a_dark_run_between_quiet_zones():
    svg = code128_svg("12")

    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 66 40"')
    assert svg.count("M") == bits(code128_widths("12")).count("10") + 1  # each bar starts a subpath
    assert 'd="M10 0h2v40h-2z' in svg  # the first bar after 10 modules of quiet zone


@pytest.mark.parametrize("text", ["", "Grüße", "tab\there"])
def test_text_outside_printable_ascii_is_refused(text):
    with pytest.raises(ValueError):
        code128_values(text)
