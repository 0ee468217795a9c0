"""Idempotency keys: a client's keys are its own (per terminal or person), the system's live apart,
and a repeated request gets the first answer before anything else is checked."""
import datetime
import json

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.models import Account, Booking, Lot
from loyalty.services.cards import card_block
from loyalty.tasks import merchant_nightly

pytestmark = pytest.mark.django_db


def post(client, path, data, key, **headers):
    return client.post(path, json.dumps(data), content_type="application/json",
                       headers={"Idempotency-Key": key, **headers})


def earn(client, shop, key, cents=1_000):
    return post(client, "/api/bookings/earn/", {"card_number": shop["card"].number,
                                                "program": shop["points"].pk,
                                                "purchase_amount_cents": cents}, key)


def test_a_client_key_shaped_like_a_system_key_cannot_break_the_nightly_job(alice, shop, terminal_client):
    client = terminal_client(alice)
    assert earn(client, shop, "first-purchase").status_code == 201
    with schema_context("alice"):
        lot = Lot.objects.get()
        Lot.objects.filter(pk=lot.pk).update(expires_on=timezone.localdate() - datetime.timedelta(days=1))

    # The keys the nightly job will use for this lot, sent by a till first.
    squatted = [earn(client, shop, f"expiry:{lot.pk}", 500), earn(client, shop, f"expiry:{lot.pk + 1}", 700)]

    with schema_context("alice"):
        result = merchant_nightly()
        assert result["expired_lots"] == 1
        expiry = Booking.objects.get(kind="expiry")
        assert (expiry.idempotency_scope, expiry.idempotency_key) == ("system", f"expiry:{lot.pk}")
        assert Booking.objects.filter(idempotency_key__startswith="expiry:", kind="earn").count() == 2
        assert Account.objects.get(card=shop["card"], program=shop["points"]).balance == 5 + 7
    assert [response.status_code for response in squatted] == [201, 201]


def test_the_same_key_from_two_terminals_books_twice_and_from_one_once(alice, shop, terminal_client):
    first_till, second_till = terminal_client(alice), terminal_client(alice)

    answers = [earn(first_till, shop, "receipt-0001"), earn(first_till, shop, "receipt-0001"),
               earn(second_till, shop, "receipt-0001")]

    assert [answer.status_code for answer in answers] == [201, 201, 201]
    assert answers[0].json() == answers[1].json()
    assert answers[2].json()["id"] != answers[0].json()["id"]
    with schema_context("alice"):
        assert Booking.objects.filter(idempotency_key="receipt-0001").count() == 2
        assert Account.objects.get(card=shop["card"], program=shop["points"]).balance == 20


def test_the_same_key_from_two_people_books_once_each(alice, shop, owner_client, host_client):
    from rest_framework.authtoken.models import Token

    from tests.support.factories import UserFactory

    with schema_context("alice"):
        manager = UserFactory(email="manager@alice.example", is_superuser=True)
        token = Token.objects.create(user=manager)
    manager_client = host_client(alice)
    manager_client.defaults["HTTP_AUTHORIZATION"] = f"Token {token.key}"
    owner = owner_client(alice)

    answers = [earn(owner, shop, "k"), earn(manager_client, shop, "k"), earn(manager_client, shop, "k")]

    assert [answer.status_code for answer in answers] == [201] * 3
    assert answers[1].json() == answers[2].json()
    assert answers[0].json()["id"] != answers[1].json()["id"]
    with schema_context("alice"):
        assert sorted(Booking.objects.values_list("idempotency_scope", flat=True)) == sorted(
            [f"user:{manager.pk}", f"user:{owner.user.pk}"])


def test_a_retry_after_the_card_was_blocked_gets_the_first_answer(alice, shop, terminal_client):
    client = terminal_client(alice)
    first = earn(client, shop, "lost-answer")
    with schema_context("alice"):
        card_block(card_number=shop["card"].number, actor=Actor(label="test"))

    retry = earn(client, shop, "lost-answer")
    new_request = earn(client, shop, "next-purchase")

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert new_request.status_code == 409 and new_request.json()["code"] == "card_not_active"
    with schema_context("alice"):
        assert Booking.objects.count() == 1


def test_a_retry_after_the_program_was_paused_gets_the_first_answer(alice, shop, terminal_client):
    client = terminal_client(alice)
    first = earn(client, shop, "before-pause")
    with schema_context("alice"):
        shop["points"].is_active = False
        shop["points"].save()

    retry = earn(client, shop, "before-pause")

    assert retry.status_code == 201 and retry.json() == first.json()
    assert earn(client, shop, "after-pause").json()["code"] == "wrong_program"
