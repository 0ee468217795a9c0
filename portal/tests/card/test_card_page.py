"""The card page: every figure the cardholder reads of their card, against known bookings, in
German and English; the barcode of the card number; only the person's own cards."""
import html
import re

import pytest
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.barcode import code128_svg
from loyalty.models import Card
from loyalty.services.cards import card_block, card_replace
from portal.tests.card.conftest import STAFF_NAME, TILL_NAME, key
from portal.views.card import card_number_grouped
from tests.support.factories import CardFactory

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    """The page's text, tags removed and spaces folded: what a reader reads."""
    assert response.status_code == 200, response.content.decode()[:2000]
    content = response.content.decode()
    content = re.sub(r"<(script|style)\b.*?</\1>", " ", content, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", content)))


def card_page(portal_client, merchant, card, language="de"):
    return portal_client(merchant, card.cardholder, language=language).get("/card/")


def german(day) -> str:
    return day.strftime("%d.%m.%Y")


def english(day) -> str:
    return day.strftime("%d/%m/%Y")


def test_the_card_page_shows_every_balance_in_german(alice, hanna, portal_client):
    page = text_of(card_page(portal_client, alice, hanna))
    figures = hanna.figures

    assert f"Karte {card_number_grouped(hanna.number)}" in page  # grouped for reading out
    assert "Bonuspunkte 130 Punkte" in page
    assert "Guthaben 12,50 €" in page
    assert "Kaffeekarte 7 von 10 Stempeln" in page
    assert "Geschenkgutschein 20,00 €" in page
    assert f"20,00 €, gültig bis {german(figures.voucher_until)}" in page


def test_the_card_page_shows_rewards_within_reach_and_points_expiring_soon(alice, hanna, portal_client):
    page = text_of(card_page(portal_client, alice, hanna))
    figures = hanna.figures

    # 130 points cover the croissant (100); the coffee (150) needs 20 more; the cake is not mentioned.
    assert "Jetzt einlösbar: Croissant" in page
    assert "Noch 20 Punkte bis: Kaffee" in page
    assert "Torte" not in page
    # 12 and 5 points end on one day, summed; the 113 points beyond 90 days are not "soon".
    assert f"Verfallen bald: 17 Punkte am {german(figures.expiring_on)}" in page
    assert german(figures.later_on) not in page
    # 7 of 10 stamps: three more for the coffee.
    assert "Noch 3 Stempel bis: 1 Kaffee" in page


def test_the_card_page_reads_in_english_with_english_formats(alice, hanna, portal_client):
    page = text_of(card_page(portal_client, alice, hanna, language="en"))
    figures = hanna.figures

    assert "Bonuspunkte 130 points" in page
    assert "Guthaben 12.50 €" in page
    assert "Kaffeekarte 7 of 10 stamps" in page
    assert f"20.00 €, valid until {english(figures.voucher_until)}" in page
    assert "Ready to redeem: Croissant" in page
    assert "20 points more for: Kaffee" in page
    assert f"Expiring soon: 17 points on {english(figures.expiring_on)}" in page


def test_the_card_carries_its_number_as_a_code_128_barcode_with_the_number_as_its_label(alice, hanna, portal_client):
    content = card_page(portal_client, alice, hanna).content.decode()

    assert code128_svg(hanna.number) in content
    assert f'aria-label="{hanna.number}"' in content


def test_the_last_five_bookings_show_what_happened_and_where_but_no_staff_name(alice, hanna, portal_client):
    page = text_of(card_page(portal_client, alice, hanna))

    recent = page.split("Letzte Buchungen")[1]
    # Newest first: the voucher redeemed, sold, the stamps, the payment, the top-up; no more.
    for earlier, later in [("Gutschein eingelöst", "Gutschein ausgegeben"), ("Gutschein ausgegeben", "Stempel"),
                           ("Stempel", "Zahlung"), ("Zahlung", "Aufladung")]:
        assert recent.index(earlier) < recent.index(later)
    assert "Bonus" not in recent and "Einkauf" not in recent
    assert "Geschenkgutschein: −5,00 €" in recent and "Kaffeekarte: +7 Stempel" in recent
    assert TILL_NAME in recent
    assert STAFF_NAME not in page
    assert 'href="/card/history/"' in card_page(portal_client, alice, hanna).content.decode()


def test_an_active_card_has_the_wallet_button_and_the_block_link(alice, hanna, portal_client):
    content = card_page(portal_client, alice, hanna).content.decode()

    assert f'href="/card/{hanna.number}/block/"' in content
    assert f'href="/card/{hanna.number}/wallet.pkpass"' in content
    assert content.count('<figure class="barcode">') == 1


def test_a_blocked_card_keeps_its_balance_and_says_how_to_get_a_replacement(alice, hanna, portal_client):
    with schema_context("alice"):
        card_block(card_number=hanna.number, actor=Actor(label="test"))

    response = card_page(portal_client, alice, hanna)
    page = text_of(response)

    assert "gesperrt" in page
    assert "Fragen Sie an der Kasse nach einer Ersatzkarte" in page and "Guthaben wird übertragen" in page
    assert "Bonuspunkte 130 Punkte" in page
    assert "<svg" not in response.content.decode()  # nothing to scan: it cannot be booked on
    assert f"/card/{hanna.number}/block/" not in response.content.decode()


def test_a_replaced_card_names_its_successor_which_holds_the_balance(alice, hanna, portal_client):
    with schema_context("alice"):
        new = CardFactory(status=Card.Status.UNISSUED)
        card_replace(old_card_number=hanna.number, new_card_number=new.number, idempotency_key=key(),
                     actor=Actor(label="test"))

    response = card_page(portal_client, alice, hanna)
    page = text_of(response)

    assert f"Ersetzt durch Karte {new.number}" in page
    assert code128_svg(new.number) in response.content.decode()
    assert code128_svg(hanna.number) not in response.content.decode()
    assert page.count("Bonuspunkte 130 Punkte") == 1  # on the new card only


def test_the_card_page_shows_only_the_persons_own_cards(alice, hanna, holder_of, portal_client):
    other = holder_of(alice, first_name="Gerda")

    content = card_page(portal_client, alice, hanna).content.decode()

    assert hanna.number in content and other.number not in content


def test_the_card_page_asks_to_sign_in_first(alice, host_client):
    response = host_client(alice).get("/card/")

    assert response.status_code == 302 and response["Location"].startswith("/sign-in/?next=/card/")
