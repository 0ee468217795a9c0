"""The history: every booking of the person's cards and of the cards they replaced, newest first,
a page at a time, in plain words (the booking kinds' own labels), with the change per program and
the till's name, never a member of staff's; filtered by card; a card of anyone else is not found."""
import datetime

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.models import Booking, Card, Lot
from loyalty.services import bookings
from loyalty.services.cards import card_replace
from portal.tests.card.conftest import STAFF_NAME, TILL_NAME, key
from portal.tests.card.test_card_page import text_of
from tests.support.factories import CardFactory

pytestmark = pytest.mark.django_db


def history(portal_client, merchant, card, query="", language="de"):
    return portal_client(merchant, card.cardholder, language=language).get(f"/card/history/{query}")


def lines_of(page: str) -> str:
    return page.split("Buchungen", 2)[2] if page.count("Buchungen") > 1 else page


def test_every_kind_of_booking_reads_in_plain_words_with_its_change_and_place(alice, alices_shop, hanna,
                                                                               portal_client):
    shop = alices_shop
    with schema_context("alice"):
        sale = Booking.objects.filter(card=hanna, kind="earn").order_by("pk").first()
        croissant = shop.points.rewards.get(name="Croissant")
        Lot.objects.filter(account__card=hanna, amount=5).update(
            expires_on=timezone.localdate() - datetime.timedelta(days=1))
        bookings.lots_expire(today=timezone.localdate(), actor=Actor.system("nightly"))
    shop.book(bookings.booking_redeem_reward, hanna, reward=croissant.pk)
    shop.book(bookings.booking_stamp, hanna, program=shop.stamps, stamps=3)
    shop.book(bookings.booking_redeem_stamps, hanna, program=shop.stamps)
    with schema_context("alice"):
        bookings.booking_return(sale_id=sale.pk, return_amount_cents=600, idempotency_key=key(), actor=shop.actor)
        payment = Booking.objects.get(card=hanna, kind="pay")
        bookings.booking_reverse(booking_id=payment.pk, idempotency_key=key(), actor=shop.actor)
        paid_at = timezone.localtime(payment.created_at).strftime("%d.%m.%Y %H:%M")

    page = text_of(history(portal_client, alice, hanna))

    for words in ("Einkauf Einkauf über 12,00 € Bonuspunkte: +12 Punkte",
                  "Bonus Geburtstag Bonuspunkte: +5 Punkte",
                  "Aufladung Guthaben: +20,00 €",
                  "Stempel Kaffeekarte: +7 Stempel",
                  "Gutschein ausgegeben gültig bis ",
                  "Gutschein eingelöst Geschenkgutschein: −5,00 €",
                  "Prämie eingelöst Croissant Bonuspunkte: −100 Punkte",
                  "Stempelkarte eingelöst Kaffeekarte: −10 Stempel",
                  "Rückgabe Ware im Wert von 6,00 € zurückgegeben Bonuspunkte: −6 Punkte",
                  f"Storno nimmt zurück: Zahlung vom {paid_at} Guthaben: +7,50 €",
                  "Zahlung storniert Guthaben: −7,50 €",
                  "Verfall Bonuspunkte: −5 Punkte automatisch"):
        assert words in page, words
    assert page.count(TILL_NAME) == 12  # every booking at the till; not the bonus, not the expiry
    assert STAFF_NAME not in page
    # Newest first.
    assert page.index("Storno") < page.index("Rückgabe") < page.index("Prämie") < page.index("Verfall") < page.index(
        "Gutschein eingelöst")


def test_the_history_is_paged_25_at_a_time_at_a_steady_number_of_queries(alice, alices_shop, hanna, portal_client,
                                                                         django_assert_max_num_queries):
    client = portal_client(alice, hanna.cardholder, language="de")
    with django_assert_max_num_queries(12) as few:
        assert client.get("/card/history/").status_code == 200
    for _stamp in range(24):
        alices_shop.book(bookings.booking_stamp, hanna, program=alices_shop.stamps)
    # 8 known bookings and 24 stamps after them: the stamps and the last known one on the first
    # page, the other 7 on the second.
    with django_assert_max_num_queries(len(few.captured_queries)):
        first_page = client.get("/card/history/")
    second_page = client.get("/card/history/?page=2")
    first, second = text_of(first_page), text_of(second_page)

    line = 'class="history-line"'
    assert first_page.content.decode().count(line) == 25 and second_page.content.decode().count(line) == 7
    assert first.count("Kaffeekarte: +1 Stempel") == 24 and "Seite 1 von 2" in first
    assert "Gutschein eingelöst" in first and "Gutschein ausgegeben" not in first
    assert "Seite 2 von 2" in second and "Kaffeekarte: +1 Stempel" not in second
    for words in ("Gutschein ausgegeben", "Kaffeekarte: +7 Stempel", "Einkauf über 12,00 €"):
        assert words in second


def test_the_history_reads_in_german_and_english_formats(alice, hanna, portal_client):
    with schema_context("alice"):
        booked = timezone.localtime(Booking.objects.filter(card=hanna).latest("pk").created_at)

    german = text_of(history(portal_client, alice, hanna))
    english = text_of(history(portal_client, alice, hanna, language="en"))

    assert booked.strftime("%d.%m.%Y %H:%M") in german and "Guthaben: −7,50 €" in german
    assert booked.strftime("%d/%m/%Y %H:%M") in english and "Guthaben: −7.50 €" in english
    assert "Voucher redeemed" in english and "Geschenkgutschein: −5.00 €" in english


def test_the_history_keeps_the_bookings_of_a_replaced_card_and_filters_by_card(alice, alices_shop, hanna,
                                                                               portal_client):
    with schema_context("alice"):
        new = CardFactory(status=Card.Status.UNISSUED)
        card_replace(old_card_number=hanna.number, new_card_number=new.number, idempotency_key=key(),
                     actor=Actor(label="test"))
    alices_shop.book(bookings.booking_stamp, new, program=alices_shop.stamps)

    everything = text_of(history(portal_client, alice, hanna))
    on_new = text_of(history(portal_client, alice, hanna, f"?card={new.number}"))
    on_old = text_of(history(portal_client, alice, hanna, f"?card={hanna.number}"))

    assert "Einkauf über 12,00 €" in everything and "Kaffeekarte: +1 Stempel" in everything
    assert (f"Karte ersetzt Guthaben auf Karte {new.number} übertragen Bonuspunkte: +130 Punkte Guthaben: +12,50 € "
            "Kaffeekarte: +7 Stempel Geschenkgutschein: +20,00 €") in everything
    # The replacement shows on both cards; the new card's own bookings only on it.
    assert "Karte ersetzt" in on_new and "Kaffeekarte: +1 Stempel" in on_new and "Einkauf" not in on_new
    assert "Karte ersetzt" in on_old and "Einkauf über 12,00 €" in on_old and "+1 Stempel" not in on_old


def test_another_persons_card_in_the_filter_is_not_found(alice, hanna, holder_of, portal_client):
    other = holder_of(alice, first_name="Gerda")

    response = history(portal_client, alice, hanna, f"?card={other.number}")

    assert response.status_code == 404
    assert other.number not in response.content.decode() and hanna.number not in response.content.decode()
    assert history(portal_client, alice, hanna, "?card=not-a-number").status_code == 404


def test_another_persons_bookings_are_not_in_the_history(alice, alices_shop, hanna, holder_of, portal_client):
    other = holder_of(alice, first_name="Gerda")
    alices_shop.book(bookings.booking_top_up, other, program=alices_shop.prepaid, amount_cents=9900)

    page = text_of(history(portal_client, alice, hanna))

    assert "99,00 €" not in page and other.number not in page
