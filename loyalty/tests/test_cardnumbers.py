"""Card numbers carry a Luhn check digit."""
import pytest

from loyalty.cardnumbers import card_number_from_serial, card_number_is_valid, luhn_check_digit


def test_known_luhn_check_digits():
    assert luhn_check_digit("7992739871") == "3"
    assert luhn_check_digit("000000000001") == "8"


def test_number_from_serial_is_valid_and_has_thirteen_digits():
    number = card_number_from_serial(123456789)

    assert number == "0001234567897"
    assert card_number_is_valid(number)


@pytest.mark.parametrize("number", ["0001234567898", "000123456789", "000123456789a", ""])
def test_mistyped_or_malformed_numbers_are_invalid(number):
    assert not card_number_is_valid(number)


def test_every_single_digit_typo_is_caught():
    number = card_number_from_serial(4711)
    for position in range(len(number)):
        for digit in "0123456789":
            if digit != number[position]:
                typo = number[:position] + digit + number[position + 1:]
                assert not card_number_is_valid(typo)


def test_serial_too_large_is_refused():
    with pytest.raises(ValueError):
        card_number_from_serial(10**12)
