"""The REST API counts unknown card numbers like the till does (one throttle for both)."""
import json

import pytest
from django_tenants.utils import schema_context

from loyalty.cardnumbers import card_number_from_serial
from loyalty.models import AuditLog, Booking

pytestmark = pytest.mark.django_db


def unknown_numbers(count):
    return [card_number_from_serial(800_000_000 + n) for n in range(count)]


def test_fifteen_unknown_numbers_in_a_row_pause_the_terminals_look_ups(alice, shop, terminal_client):
    client = terminal_client(alice)

    answers = [client.get(f"/api/cards/{number}/", headers={"Accept-Language": "en"})
               for number in unknown_numbers(15)]
    known_meanwhile = client.get(f"/api/cards/{shop['card'].number}/")
    other_terminal = terminal_client(alice).get(f"/api/cards/{shop['card'].number}/")

    assert [answer.status_code for answer in answers] == [404] * 10 + [429] * 5
    assert answers[10].json()["code"] == "too_many_attempts"
    assert answers[10].json()["message"].startswith("Too many unknown card numbers in a row.")
    assert 0 < int(answers[10]["Retry-After"]) <= 300
    assert known_meanwhile.status_code == 429
    assert other_terminal.status_code == 200
    with schema_context("alice"):
        assert AuditLog.objects.filter(action="throttled.unknown-cards").count() == 1  # the lock-out


def test_bookings_on_unknown_numbers_count_too_and_book_nothing(alice, shop, terminal_client):
    client = terminal_client(alice)

    answers = [client.post("/api/bookings/earn/", json.dumps({
        "card_number": number, "program": shop["points"].pk, "purchase_amount_cents": 100}),
        content_type="application/json", headers={"Idempotency-Key": number})
        for number in unknown_numbers(11)]

    assert [answer.status_code for answer in answers] == [404] * 10 + [429]
    with schema_context("alice"):
        assert not Booking.objects.exists()
