"""Card numbers: digits with a Luhn check digit, so a mistyped number is caught at the till."""

CARD_NUMBER_LENGTH = 13  # 12 digits and the check digit: fits an EAN-13-sized barcode label


def luhn_check_digit(payload: str) -> str:
    """The digit that makes `payload + digit` pass the Luhn check."""
    total = 0
    # Walking from the right, every second digit of the payload (starting with the last) doubles.
    for position, char in enumerate(reversed(payload)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def card_number_is_valid(number: str) -> bool:
    return (
        len(number) == CARD_NUMBER_LENGTH
        and number.isascii() and number.isdigit()
        and luhn_check_digit(number[:-1]) == number[-1]
    )


def card_number_from_serial(serial: int) -> str:
    """The printed number of the card with this serial (a number range allocates serials)."""
    payload = f"{serial:0{CARD_NUMBER_LENGTH - 1}d}"
    if len(payload) != CARD_NUMBER_LENGTH - 1:
        raise ValueError(f"Card serial {serial} does not fit into {CARD_NUMBER_LENGTH - 1} digits.")
    return payload + luhn_check_digit(payload)
