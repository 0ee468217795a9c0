"""The activation code printed on a card: checked whatever its case and spacing, and throttled so
that nobody can guess codes or find out which card numbers exist."""
import re

import pytest
from django.core.cache import cache
from django_tenants.utils import schema_context

from loyalty.cardnumbers import card_number_from_serial
from loyalty.models import AuditLog, Card, Cardholder, Consent
from portal.tests.accounts.conftest import CODE
from tests.support.factories import CardFactory

pytestmark = pytest.mark.django_db

UNKNOWN = card_number_from_serial(987_654_321)
WRONG = "WRONG234"


def _answer(response, number: str) -> tuple[int, str]:
    """What a guesser sees: the status and the page, without what is random in every page (the
    CSRF token, the CSP nonce), the number they typed themselves, and the minutes to wait (which
    may tick over between two requests)."""
    body = response.content.decode()
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)
    body = re.sub(r'nonce="[^"]+"', "", body)
    body = body.replace(number, "NUMBER")
    body = re.sub(r"wait \d+ min", "wait N min", body)
    return response.status_code, body


def _minutes(response) -> int:
    return int(re.search(r"wait (\d+) min", response.content.decode()).group(1))


def _rows(schema="alice") -> dict:
    with schema_context(schema):
        return {"cardholders": Cardholder.objects.count(), "consents": Consent.objects.count(),
                "audit": list(AuditLog.objects.order_by("pk").values_list("action", "actor_label", "address",
                                                                         "object_type", "data"))}


def test_five_wrong_activation_codes_in_a_row_lock_the_card_and_an_unknown_number_is_answered_alike(
        alice, visitor, blank_card):
    card = blank_card(alice)
    existing, unknown = visitor(alice, REMOTE_ADDR="10.0.0.1"), visitor(alice, REMOTE_ADDR="10.0.0.2")
    before = _rows()

    answers = []
    for _attempt in range(5):
        mine = existing.post("/register/", {"card_number": card.number, "activation_code": WRONG})
        theirs = unknown.post("/register/", {"card_number": UNKNOWN, "activation_code": WRONG})
        assert _answer(mine, card.number) == _answer(theirs, UNKNOWN)
        answers.append(mine)
    # Now even the right code waits, and the unknown number's answer is the same.
    right = existing.post("/register/", {"card_number": card.number, "activation_code": CODE})
    guess = unknown.post("/register/", {"card_number": UNKNOWN, "activation_code": CODE})

    assert [answer.status_code for answer in answers] == [200, 200, 200, 200, 429]
    assert all("The card number or the activation code is not right." in answer.content.decode()
               for answer in answers[:4])
    locked = answers[4].content.decode()
    assert "Too many wrong activation codes for this card number. Please wait" in locked
    assert 1 <= _minutes(answers[4]) <= 30 and 0 < int(answers[4]["Retry-After"]) <= 30 * 60
    assert right.status_code == guess.status_code == 429 and "Location" not in right
    assert _answer(right, card.number) == _answer(guess, UNKNOWN)
    assert abs(int(right["Retry-After"]) - int(guess["Retry-After"])) <= 1
    # Typed numbers stay in the form.
    assert f'value="{card.number}"' in right.content.decode()
    # Nothing was written but the two lock-outs, which read alike.
    after = _rows()
    assert (after["cardholders"], after["consents"]) == (before["cardholders"], before["consents"]) == (0, 0)
    lockouts = after["audit"][len(before["audit"]):]
    assert lockouts == [
        ("throttled.wrong-activation-codes", "portal", "10.0.0.1", "",
         {"failures": 4, "window_seconds": 1800, "card_number": card.number}),
        ("throttled.wrong-activation-codes", "portal", "10.0.0.2", "",
         {"failures": 4, "window_seconds": 1800, "card_number": UNKNOWN})]
    with schema_context("alice"):
        assert Card.objects.get(pk=card.pk).status == Card.Status.UNISSUED


def test_the_lock_is_per_card_number_whatever_the_address(alice, visitor, blank_card):
    card, other = blank_card(alice), blank_card(alice, code="ZZZZ2222")
    for attempt in range(5):
        visitor(alice, REMOTE_ADDR=f"10.0.1.{attempt}").post(
            "/register/", {"card_number": card.number, "activation_code": WRONG})

    from_elsewhere = visitor(alice, REMOTE_ADDR="10.0.2.1")

    assert from_elsewhere.post("/register/", {"card_number": card.number, "activation_code": CODE}).status_code == 429
    assert from_elsewhere.post("/register/", {"card_number": other.number,
                                              "activation_code": "ZZZZ2222"})["Location"] == "/register/details/"


def test_after_the_window_the_right_code_works_again(alice, visitor, blank_card):
    card = blank_card(alice)
    client = visitor(alice)
    for _attempt in range(5):
        client.post("/register/", {"card_number": card.number, "activation_code": WRONG})

    cache.clear()  # the window's counts expire with it

    assert client.post("/register/", {"card_number": card.number,
                                      "activation_code": CODE})["Location"] == "/register/details/"


@pytest.mark.parametrize("state", ["has a holder", "blocked", "replaced", "no code"])
def test_a_card_that_cannot_be_registered_is_answered_like_an_unknown_number_even_with_its_code(
        alice, visitor, holder_of, state):
    with schema_context("alice"):
        if state == "has a holder":
            card = holder_of(alice)
            Card.objects.filter(pk=card.pk).update(activation_code=CODE)
        elif state == "replaced":
            successor = CardFactory()
            card = CardFactory(status=Card.Status.REPLACED, replaced_by=successor, activation_code=CODE)
        else:
            card = CardFactory(status=Card.Status.BLOCKED if state == "blocked" else Card.Status.UNISSUED,
                               activation_code=CODE if state == "blocked" else "")
    before = _rows()

    mine = visitor(alice, REMOTE_ADDR="10.0.0.1").post("/register/", {"card_number": card.number,
                                                                      "activation_code": CODE})
    theirs = visitor(alice, REMOTE_ADDR="10.0.0.2").post("/register/", {"card_number": UNKNOWN,
                                                                        "activation_code": CODE})

    assert mine.status_code == 200 and _answer(mine, card.number) == _answer(theirs, UNKNOWN)
    assert _rows() == before


def test_too_many_wrong_codes_from_one_address_pause_it_for_every_card_number(alice, visitor, blank_card):
    card = blank_card(alice)
    client = visitor(alice, REMOTE_ADDR="10.9.9.9")
    statuses = [client.post("/register/", {"card_number": card_number_from_serial(900_000 + serial),
                                           "activation_code": WRONG}).status_code for serial in range(21)]

    right = client.post("/register/", {"card_number": card.number, "activation_code": CODE})

    assert statuses == [200] * 20 + [429]
    assert right.status_code == 429 and "from your connection" in right.content.decode()
    with schema_context("alice"):
        assert AuditLog.objects.get(action="throttled.wrong-activation-codes-from-an-address").address == "10.9.9.9"
    # Another address is not paused.
    assert visitor(alice, REMOTE_ADDR="10.9.9.8").post(
        "/register/", {"card_number": card.number, "activation_code": CODE})["Location"] == "/register/details/"


def test_a_mistyped_number_is_caught_by_its_check_digit_and_not_counted(alice, visitor, blank_card):
    card = blank_card(alice)
    mistyped = card.number[:-1] + str((int(card.number[-1]) + 1) % 10)
    client = visitor(alice)

    answers = [client.post("/register/", {"card_number": mistyped, "activation_code": WRONG}) for _ in range(6)]

    assert {answer.status_code for answer in answers} == {200}
    assert "This is not a valid card number: please check the digits." in answers[-1].content.decode()
    assert 'aria-describedby="id_card_number_helptext id_card_number_error"' in answers[-1].content.decode()
    assert client.post("/register/", {"card_number": card.number,
                                      "activation_code": CODE})["Location"] == "/register/details/"


@pytest.mark.parametrize("typed", ["K7M2P9QX", "k7m2p9qx", "K7M2-P9QX", " k7m2 p9qx "])
def test_the_code_is_read_whatever_its_case_spaces_and_dashes(alice, visitor, blank_card, typed):
    card = blank_card(alice)

    answer = visitor(alice).post("/register/", {"card_number": card.number, "activation_code": typed})

    assert answer["Location"] == "/register/details/"


def test_empty_fields_are_asked_for_and_not_counted(alice, visitor, blank_card):
    card = blank_card(alice)
    client = visitor(alice)

    for _attempt in range(6):
        answer = client.post("/register/", {"card_number": card.number, "activation_code": ""})
        assert answer.status_code == 200 and "This field is required." in answer.content.decode()

    assert client.post("/register/", {"card_number": card.number,
                                      "activation_code": CODE})["Location"] == "/register/details/"
