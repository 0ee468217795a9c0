"""Fixtures of the profile, consent, own-data and deletion tests: Hanna Quastenberg of alice's with
a card, balances and bookings, signed in to alice's portal; what an e-mail link in the outbox says."""
import datetime
import re

import pytest
from django.core import mail
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.models import Cardholder
from loyalty.services import bookings
from tests.support.factories import ProgramFactory

SYSTEM = Actor.system("test")
PERSON = {"first_name": "Hanna", "last_name": "Quastenberg", "email": "hanna.quast@example.org",
          "phone": "+49 171 5550123", "birth_date": datetime.date(1984, 3, 7), "postcode": "80331", "gender": "f"}


@pytest.fixture
def hanna(alice, holder_of):
    """Hanna's card (its `.cardholder` is Hanna), with points and prepaid money booked on it."""
    card = holder_of(alice, **PERSON)
    with schema_context("alice"):
        points = ProgramFactory(kind="points", name="Bonuspunkte", points_per_euro=1, expiry="rolling_months",
                                expiry_months=12)
        prepaid = ProgramFactory(kind="prepaid", name="Guthaben", max_balance_cents=50_000)
        bookings.booking_earn(card_number=card.number, program=points, purchase_amount_cents=2_350,
                              idempotency_key="earn-1", actor=SYSTEM)
        bookings.booking_top_up(card_number=card.number, program=prepaid, amount_cents=2_000,
                                idempotency_key="top-up-1", actor=SYSTEM)
        bookings.booking_pay(card_number=card.number, program=prepaid, amount_cents=750,
                             idempotency_key="pay-1", actor=SYSTEM)
    card.points, card.prepaid = points, prepaid
    return card


@pytest.fixture
def committing(django_capture_on_commit_callbacks):
    """`committing(client)`: the client's POSTs run what waits for the commit (the e-mails) when
    their request is done, as after a real commit; the test's transaction never commits."""

    def wrap(test_client):
        post = test_client.post

        def posting(*args, **kwargs):
            with django_capture_on_commit_callbacks(execute=True):
                return post(*args, **kwargs)

        test_client.post = posting
        return test_client

    return wrap


@pytest.fixture
def client(alice, hanna, portal_client, committing):
    """Hanna signed in to alice's portal, reading English."""
    return committing(portal_client(alice, hanna.cardholder))


def holder(card) -> Cardholder:
    with schema_context("alice"):
        return Cardholder.objects.get(pk=card.cardholder_id)


def link_in(message, path_start: str) -> str:
    """The path of the link to this host's `path_start…` in an e-mail (the host part dropped)."""
    found = re.search(rf"https?://[^/\s]+({re.escape(path_start)}[^\s]+)", message.body)
    assert found, message.body
    return found[1]


def mails_to(address: str) -> list:
    return [message for message in mail.outbox if address in message.to]
