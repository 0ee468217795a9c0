"""Guessing card numbers at a till is slowed down and written down."""
import logging

import pytest
from django_tenants.utils import schema_context

from loyalty.cardnumbers import card_number_from_serial
from loyalty.models import AuditLog

pytestmark = pytest.mark.django_db


def unknown_numbers(count):
    # Valid check digits, so they reach the database like a real guess would.
    return [card_number_from_serial(700_000_000 + n) for n in range(count)]


def test_more_than_ten_unknown_numbers_in_five_minutes_pause_look_ups(alice, shop, cashier, till_client, caplog):
    client = till_client(alice, email=cashier.email)
    caplog.set_level(logging.WARNING, logger="stammkunde.throttling")
    first, *_, eleventh = unknown_numbers(11)

    misses = [client.card(number).status_code for number in unknown_numbers(10)]
    throttled = client.card(eleventh, HTTP_ACCEPT_LANGUAGE="en")
    known_card_meanwhile = client.card(shop["card"].number)

    assert misses == [404] * 10
    assert throttled.status_code == 429
    assert 0 < int(throttled["Retry-After"]) <= 300
    assert throttled.json()["code"] == "too_many_attempts"
    assert throttled.json()["message"].startswith("Too many unknown card numbers in a row.")
    assert known_card_meanwhile.status_code == 429
    with schema_context("alice"):
        entry = AuditLog.objects.get(action="throttled.unknown-cards")
        assert (entry.actor_user, entry.actor_terminal) == (cashier, client.terminal)
        assert entry.data == {"failures": 10, "window_seconds": 300}
    assert [record.levelname for record in caplog.records if record.name == "stammkunde.throttling"] == ["WARNING"]


def test_mistyped_numbers_caught_by_the_check_digit_are_not_counted(alice, shop, till_client):
    client = till_client(alice)
    typos = [number[:-1] + str((int(number[-1]) + 1) % 10) for number in unknown_numbers(15)]

    answers = [client.card(number, HTTP_ACCEPT_LANGUAGE="en") for number in typos]

    assert {answer.status_code for answer in answers} == {404}
    assert answers[0].json()["message"] == "This is not a valid card number: please check the digits."
    assert client.card(shop["card"].number).status_code == 200


def test_the_count_follows_the_user_to_another_till(alice, shop, cashier, till_client):
    first_till = till_client(alice, email=cashier.email)
    for number in unknown_numbers(11):
        first_till.card(number)
    second_till = till_client(alice, email=cashier.email, terminal_name="Till 2")
    colleague_on_second_till = till_client(alice, terminal_name="Till 3")

    assert second_till.card(shop["card"].number).status_code == 429
    assert colleague_on_second_till.card(shop["card"].number).status_code == 200


def test_registering_cannot_probe_for_card_numbers_either(alice, till_client):
    client = till_client(alice)

    answers = [client.post_json(f"/pos/api/cards/{number}/register/",
                                {"first_name": "X", "consent": True}).status_code
               for number in unknown_numbers(11)]

    assert answers == [404] * 10 + [429]
