"""Cardholders: registration with its sign-up bonus, look-up by e-mail or phone, birthdays."""
import datetime

import pytest
from django.utils import timezone

from loyalty import errors
from loyalty.models import Account, BonusAction, Booking, Card
from loyalty.services.bonuses import birthday_bonuses_award
from loyalty.services.cardholders import (
    card_register,
    cardholder_find_by_email,
    cardholder_find_by_phone,
    cardholder_update,
)
from tests.support.factories import CardFactory

pytestmark = pytest.mark.django_db


def test_registering_a_card_activates_it_and_books_the_sign_up_bonus_once(in_alice, points, actor):
    BonusAction.objects.create(program=points, kind="sign_up", name="Welcome", points=100)
    card = CardFactory(status=Card.Status.UNISSUED)

    card_register(card_number=card.number, actor=actor, first_name="Anna", email="Anna@Example.com")

    card.refresh_from_db()
    assert card.status == "active" and card.cardholder.first_name == "Anna"
    assert Account.objects.get(card=card, program=points).balance == 100
    with pytest.raises(errors.CardNotActive):
        card_register(card_number=card.number, actor=actor, first_name="Someone else")
    assert Booking.objects.filter(kind="bonus").count() == 1


def test_cardholders_are_found_by_email_and_phone_however_they_are_typed(in_alice, card, actor):
    card_register(card_number=card.number, actor=actor, first_name="Ben",
                  email=" Ben.Schulz@Example.COM ", phone="0171 1234567")

    assert cardholder_find_by_email("ben.schulz@example.com").first_name == "Ben"
    assert cardholder_find_by_phone("+49 171 1234567").first_name == "Ben"
    assert cardholder_find_by_email("someone@example.com") is None


def test_changing_the_email_moves_the_lookup(in_alice, card, actor):
    holder = card_register(card_number=card.number, actor=actor, first_name="Clara",
                           email="old@example.com").cardholder

    cardholder_update(cardholder=holder, actor=actor, email="new@example.com")

    assert cardholder_find_by_email("old@example.com") is None
    assert cardholder_find_by_email("new@example.com") == holder


def test_birthday_bonus_once_a_year_for_todays_birthdays_only(in_alice, points, actor):
    today = timezone.localdate()
    BonusAction.objects.create(program=points, kind="birthday", name="Happy birthday", points=50)
    birthday = today.replace(year=1990) if (today.month, today.day) != (2, 29) else datetime.date(1992, 2, 29)
    other_day = birthday + datetime.timedelta(days=1)
    celebrating = card_register(card_number=CardFactory().number, actor=actor, first_name="Deniz",
                                birth_date=birthday)
    not_today = card_register(card_number=CardFactory().number, actor=actor, first_name="Emil",
                              birth_date=other_day)

    first = birthday_bonuses_award(today=today, actor=actor)
    second = birthday_bonuses_award(today=today, actor=actor)

    assert (first, second) == (1, 1)  # the second run finds the same booking: no new points
    assert Account.objects.get(card=celebrating, program=points).balance == 50
    assert not Account.objects.filter(card=not_today, program=points).exists()
    assert Booking.objects.filter(kind="bonus").count() == 1


def test_raw_select_on_the_cardholder_table_shows_no_personal_data(in_alice, card, actor):
    from django.db import connection

    card_register(card_number=card.number, actor=actor, first_name="Gudrun", last_name="Hagemeister",
                  email="gudrun@example.com", phone="0171 7654321", postcode="20095",
                  birth_date=datetime.date(1961, 4, 7), custom_data={"lieblingsbrot": "Roggen"})

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM loyalty_cardholder")
        columns = [column.name for column in cursor.description]
        row = dict(zip(columns, cursor.fetchone(), strict=True))
    # The blind indexes are keyed hashes in hex, where digits like "1961" turn up by chance.
    indexes = [row.pop(column) for column in ("email_index", "phone_index", "birthday_index")]
    raw = " ".join(str(value) for value in row.values())
    assert all(len(index) == 64 and int(index, 16) >= 0 for index in indexes)

    for plaintext in ("Gudrun", "Hagemeister", "gudrun@example.com", "7654321", "20095", "1961", "Roggen"):
        assert plaintext not in raw
    assert card.__class__.objects.get(pk=card.pk).cardholder.last_name == "Hagemeister"
