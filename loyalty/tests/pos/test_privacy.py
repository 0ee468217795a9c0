"""The till shows a cardholder's first name and nothing else of the person, in any answer."""
import datetime
import re

import pytest
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.services.cardholders import card_register
from tests.support.baseline import owner_email

pytestmark = pytest.mark.django_db

PERSON = {"first_name": "Annegret", "last_name": "Quastenberg", "email": "anne.quast@example.org",
          "phone": "+49 171 5550123", "birth_date": datetime.date(1984, 3, 7), "postcode": "80331",
          "gender": "f"}
NEVER_SHOWN = ["Quastenberg", "anne.quast", "example.org", "5550123", "1715550123", "80331", "1984", "07.03.",
               "7.3.", "March 7", "7. März"]


def test_no_till_answer_contains_more_of_the_holder_than_the_first_name(alice, shop, till_client):
    with schema_context("alice"):
        card_register(card_number=shop["card"].number, actor=Actor(label="test"), **PERSON)
    client = till_client(alice)
    card, program = shop["card"].number, shop["points"].pk
    answers = []

    def seen(response):
        answers.append(response)
        return response

    for language in ("de", "en"):
        for path in ("/pos/", "/pos/login/", "/pos/pin/", "/pos/pair/"):
            seen(client.get(path, HTTP_ACCEPT_LANGUAGE=language, follow=True))
        seen(client.card(card, HTTP_ACCEPT_LANGUAGE=language))
    seen(client.book("earn", {"card_number": card, "program": program, "purchase_amount_cents": 2_500}))
    seen(client.book("top_up", {"card_number": card, "program": shop["prepaid"].pk, "amount_cents": 1_000}))
    seen(client.book("pay", {"card_number": card, "program": shop["prepaid"].pk, "amount_cents": 500}))
    seen(client.book("pay", {"card_number": card, "program": shop["prepaid"].pk, "amount_cents": 99_999}))  # refused
    stamped = seen(client.book("stamp", {"card_number": card, "program": shop["stamps"].pk})).json()
    seen(client.book("redeem_reward", {"card_number": card, "reward": shop["reward"].pk}))
    seen(client.book("reversal", {"booking_id": stamped["booking"]}))
    seen(client.post_json(f"/pos/api/cards/{card}/register/", {"first_name": "X", "consent": True}))  # refused
    seen(client.post_json(f"/pos/api/cards/{shop['blank'].number}/register/",
                          {"first_name": "Berta", "email": "berta@example.org", "consent": True}))
    seen(client.form("/pos/login/", {"method": "password", "password-email": owner_email("alice"),
                                     "password-password": "wrong"}))
    seen(client.form("/pos/logout/", {}))

    bodies = [response.content.decode() for response in answers]
    assert all(response.status_code < 500 for response in answers)
    assert sum("Annegret" in body for body in bodies) == 2  # the first name is there (card look-ups) …
    for value in NEVER_SHOWN + ["berta@example.org"]:  # … nothing else of the person
        assert not [body for body in bodies if value in body], value
    assert not [body for body in bodies if re.search(r"\b(last_name|birth_date|postcode|phone)\b", body)]
