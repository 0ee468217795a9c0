"""A card number as people and scanners give it: in groups with spaces or dashes, with spaces
around it; the till, the API and the portal find the card by it alike."""
import pytest
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.errors import CardNotFound
from loyalty.services.lookup import card_find, card_number_clean
from tests.support.factories import CardFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("typed", [" 0009000000010 ", "0009 0000 0001 0", "0009-0000-0001-0", "0009\u00a00000\t00010"])
def test_a_number_typed_in_groups_is_the_number_as_printed(typed):
    assert card_number_clean(typed) == "0009000000010"


def test_the_till_finds_a_card_typed_in_groups_and_not_another_number(alice):
    with schema_context("alice"):
        card = CardFactory()
        grouped = f"{card.number[:4]} {card.number[4:8]}-{card.number[8:]}"

        assert card_find(grouped, actor=Actor(label="test")).pk == card.pk
        with pytest.raises(CardNotFound):
            card_find(grouped[:-1] + str((int(grouped[-1]) + 1) % 10), actor=Actor(label="test"))
