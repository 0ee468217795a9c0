"""The landing page: the merchant's branding and welcome text, every active program explained in
plain words by its own behaviour, and the way in (register, sign in, or to the card)."""
import datetime

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.models import BonusAction, Program
from loyalty.services.shop import shop_settings_update
from portal.tests.card.test_card_page import text_of
from tenants.models import ContractStatus, Merchant
from tenants.routing import merchants_changed

pytestmark = pytest.mark.django_db


def landing(client, language="de") -> str:
    return text_of(client.get("/", HTTP_ACCEPT_LANGUAGE=language))


def test_every_active_program_is_explained_in_plain_german(alice, alices_shop, host_client):
    today = timezone.localdate()
    with schema_context("alice"):
        BonusAction.objects.create(program=alices_shop.points, kind="multiplier", name="Adventszeit", multiplier=2,
                                   starts_on=datetime.date(today.year, 12, 1), ends_on=datetime.date(today.year, 12, 24))
        BonusAction.objects.create(program=alices_shop.points, kind="sign_up", name="Willkommen", points=50)
        BonusAction.objects.create(program=alices_shop.points, kind="birthday", name="Geburtstag", points=25)

    page = landing(host_client(alice))

    for words in ("Bonuspunkte 1 Punkt je Euro Einkauf",
                  f"Adventszeit: 2-fache Punkte, vom 01.12.{today.year} bis 24.12.{today.year}",
                  "Wenn Sie Ihre Karte registrieren: 50 Punkte als Willkommensbonus",
                  "An Ihrem Geburtstag: 25 Punkte extra",
                  "Ab 100 Punkten: Croissant", "Ab 150 Punkten: Kaffee", "Ab 500 Punkten: Torte",
                  f"Heute gesammelte Punkte verfallen am {(today + relativedelta(months=2)):%d.%m.%Y}.",
                  "Guthaben Prepaid-Guthaben Guthaben aufladen und bargeldlos bezahlen. Bis zu 200,00 € Guthaben",
                  "Kaffeekarte Stempelkarte 10 Stempel = 1 Kaffee Danach beginnt die Karte von vorn.",
                  "Werte: 10,00 €, 25,00 €", "In mehreren Teilbeträgen einlösbar.",
                  f"Ein heute gekaufter Gutschein gilt bis 31.12.{today.year + 3}."):
        assert words in page, words


def test_the_programs_read_in_english_too(alice, alices_shop, host_client):
    page = landing(host_client(alice), "en")

    for words in ("1 point per euro spent", "From 100 points: Croissant", "10 stamps = 1 Kaffee",
                  "Top up your balance and pay without cash.", "Values: 10.00 €, 25.00 €",
                  f"A voucher bought today is valid until 31/12/{timezone.localdate().year + 3}."):
        assert words in page, words


@pytest.mark.parametrize(("per_euro", "words"), [("0.5", "1 Punkt je 2 € Einkauf"), ("2", "2 Punkte je Euro Einkauf"),
                                                 ("1.5", "1,5 Punkte je Euro Einkauf")])
def test_points_per_euro_read_naturally(alice, host_client, per_euro, words):
    with schema_context("alice"):
        Program.objects.create(kind="points", name="Punkte", points_per_euro=per_euro)

    assert words in landing(host_client(alice))


def test_a_paused_program_and_one_in_one_go_vouchers_read_as_they_are(alice, alices_shop, host_client):
    with schema_context("alice"):
        alices_shop.stamps.is_active = False
        alices_shop.stamps.save()
        alices_shop.voucher.partial_redemption = False
        alices_shop.voucher.voucher_validity_years = 1
        alices_shop.voucher.save()

    page = landing(host_client(alice))

    assert "Kaffeekarte" not in page and "Stempel" not in page
    assert "Wird auf einmal über den ganzen Wert eingelöst." in page
    assert f"gilt bis 31.12.{timezone.localdate().year + 1}." in page


def test_strangers_are_asked_to_register_or_sign_in_and_cardholders_go_to_their_card(alice, hanna, host_client,
                                                                                      portal_client):
    stranger = host_client(alice).get("/").content.decode()
    holder = portal_client(alice, hanna.cardholder).get("/").content.decode()

    assert 'class="button primary" href="/register/"' in stranger and 'class="button" href="/sign-in/"' in stranger
    assert 'class="button primary" href="/card/"' in holder and 'href="/register/"' not in holder


def test_the_welcome_text_and_colours_are_the_merchants(alice, host_client):
    with schema_context("alice"):
        shop_settings_update(actor=Actor(label="test"), primary_colour="#1b4d3e", welcome_text="Frisch gebacken!")

    content = host_client(alice).get("/").content.decode()

    assert "--brand: #1b4d3e;" in content and "Frisch gebacken!" in content


def test_after_the_contract_ended_the_landing_page_says_so_and_offers_nothing(alice, alices_shop, host_client):
    Merchant.objects.filter(pk=alice.pk).update(contract_status=ContractStatus.ENDED)
    merchants_changed()

    response = host_client(alice).get("/")
    page = text_of(response)

    assert "Dieses Kundenkartenprogramm ist beendet." in page
    assert "Croissant" not in page and 'class="button primary"' not in response.content.decode()
