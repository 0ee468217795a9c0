"""Fixtures of the portal's tests: cardholders of a merchant with a card, and test clients on the
merchant's host with a cardholder signed in."""
import pytest
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.models import Card, Cardholder
from loyalty.services.cardholders import card_register
from tests.support.factories import CardFactory
from tests.support.portal import portal_signed_in


@pytest.fixture
def holder_of():
    """`holder_of(merchant, first_name=…, email=…)`: a cardholder of that merchant with one active
    card, registered as at the till; returns the card (its `.cardholder` is the person)."""

    def make(merchant, *, first_name: str = "Hanna", email: str = "", confirmed: bool = True, **data) -> Card:
        from django.utils import timezone

        with schema_context(merchant.schema_name):
            blank = CardFactory(status=Card.Status.UNISSUED)
            card = card_register(card_number=blank.number, actor=Actor.system("setup"), first_name=first_name,
                                 email=email, **data)
            if email and confirmed:
                Cardholder.objects.filter(pk=card.cardholder_id).update(email_confirmed_at=timezone.now())
            return Card.objects.select_related("cardholder").get(pk=card.pk)

    return make


@pytest.fixture
def portal_client():
    """`portal_client(merchant, cardholder, language="en")`: a client with the cardholder signed in
    (tests.support.portal.portal_signed_in)."""
    return portal_signed_in
