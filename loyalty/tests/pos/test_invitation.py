"""Handing out a card at the till with an e-mail address invites the person to the customer
portal; the terms agreed to at the till are recorded with the wording's version in force."""
from email.utils import parseaddr
from urllib.parse import urlsplit

import pytest
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.models import Card, Consent, ConsentWording
from loyalty.services.cardholders import cardholder_create
from tests.support.portal import portal_signed_in

pytestmark = pytest.mark.django_db


def _hand_out(client, number, **data):
    return client.post_json(f"/pos/api/cards/{number}/register/", {"first_name": "Berta", "consent": True, **data})


def _invitation_path(message) -> str:
    [link] = [word for word in message.body.split() if "/invitation/" in word]
    return urlsplit(link).path


def test_a_card_handed_out_with_an_address_sends_an_invitation_to_the_portal(
        alice, shop, cashier, till_client, mailoutbox, django_capture_on_commit_callbacks):
    client = till_client(alice, email=cashier.email)
    number = shop["blank"].number

    with django_capture_on_commit_callbacks(execute=True):
        assert _hand_out(client, number, email="berta@example.org").status_code == 201

    [message] = mailoutbox
    assert message.to == ["berta@example.org"] and parseaddr(message.from_email)[0] == "Alice’s Bakery"
    assert message.body.startswith("Hallo Berta,") and number in message.body
    assert _invitation_path(message).startswith("/invitation/")
    with schema_context("alice"):
        consent = Consent.objects.get(cardholder__cards__number=number)
    assert (consent.purpose, consent.source, consent.wording_version) == ("terms_and_privacy", "till", "1")


def test_the_terms_are_recorded_with_the_version_of_the_wording_in_force(alice, shop, cashier, till_client,
                                                                        mailoutbox):
    with schema_context("alice"):
        ConsentWording.objects.create(purpose="terms_and_privacy", version=2, text_de="Neu.", text_en="New.")
    client = till_client(alice, email=cashier.email)

    _hand_out(client, shop["blank"].number)

    with schema_context("alice"):
        assert Consent.objects.get().wording_version == "2"
    assert mailoutbox == []  # no address, no invitation


def test_the_till_shows_the_wording_in_force_that_the_customer_agrees_to(alice, shop, cashier, till_client):
    with schema_context("alice"):
        ConsentWording.objects.create(purpose="terms_and_privacy", version=2,
                                      text_de="Neue Bedingungen der Bäckerei.", text_en="The bakery's new terms.")
    client = till_client(alice, email=cashier.email)

    page = client.get("/pos/", HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert "Neue Bedingungen der Bäckerei." in page and "Wortlaut für den Kunden" in page


def test_no_invitation_goes_to_an_address_another_cardholder_has(
        alice, shop, cashier, till_client, mailoutbox, django_capture_on_commit_callbacks):
    with schema_context("alice"):
        cardholder_create(actor=Actor(label="test"), first_name="Erika", email="Berta@Example.org")
    client = till_client(alice, email=cashier.email)

    with django_capture_on_commit_callbacks(execute=True):
        assert _hand_out(client, shop["blank"].number, email="berta@example.org").status_code == 201

    assert mailoutbox == []


def test_a_refused_hand_out_sends_nothing(alice, shop, cashier, till_client, mailoutbox,
                                         django_capture_on_commit_callbacks):
    client = till_client(alice, email=cashier.email)

    with django_capture_on_commit_callbacks(execute=True):
        refused = client.post_json(f"/pos/api/cards/{shop['card'].number}/register/",
                                   {"first_name": "Berta", "email": "berta@example.org", "consent": False})

    assert refused.status_code == 422 and mailoutbox == []


def test_from_the_till_to_the_portal_with_the_invitation(
        alice, shop, cashier, till_client, host_client, mailoutbox, django_capture_on_commit_callbacks):
    till = till_client(alice, email=cashier.email)
    number = shop["blank"].number
    with django_capture_on_commit_callbacks(execute=True):
        _hand_out(till, number, email="berta@example.org")
    path = _invitation_path(mailoutbox[0])
    phone = host_client(alice)

    page = phone.get(path, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Welcome, Berta!" in page and number in page
    accepted = phone.post(path, {"first_name": "Berta", "last_name": "Brot", "newsletter": "on",
                                 "version__newsletter": "1", "password": "Sauerteig-Brot-2026"})

    assert accepted["Location"] == "/card/" and phone.get("/password/").status_code == 200
    with schema_context("alice"):
        holder = Card.objects.get(number=number).cardholder
        assert holder.last_name == "Brot" and holder.email_confirmed_at is not None
        assert sorted(holder.consents.values_list("purpose", "source", "wording_version")) == [
            ("newsletter", "portal", "1"), ("terms_and_privacy", "till", "1")]
    assert portal_signed_in(alice, holder).get("/password/").status_code == 200
    assert host_client(alice).post("/sign-in/", {"method": "password", "password-email": "berta@example.org",
                                                 "password-password": "Sauerteig-Brot-2026"})["Location"] == "/card/"
