"""The pass download: the signed-in cardholder's own active card only; anything else is a 404 (or,
signed out, the sign-in), and nothing is written. The button under each card."""
import datetime
import re

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django_tenants.utils import schema_context

from loyalty.models import Card, WalletPass
from portal.tests.wallet.conftest import Pkpass
from tests.support.clients import HostClient

pytestmark = pytest.mark.django_db


def _passes(merchant) -> int:
    with schema_context(merchant.schema_name):
        return WalletPass.objects.count()


def test_the_holder_downloads_the_pass_of_their_card(alice, holder_of, portal_client):
    card = holder_of(alice)

    response = portal_client(alice, card.cardholder).get(f"/card/{card.number}/wallet.pkpass")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.apple.pkpass"
    assert response["Content-Disposition"] == f'attachment; filename="alices-bakery-{card.number}.pkpass"'
    assert "no-store" in response["Cache-Control"]
    assert Pkpass(response.content).pass_json["serialNumber"] == card.number
    with schema_context("alice"):
        assert WalletPass.objects.get().card_id == card.pk


def test_a_second_download_is_a_new_version_of_the_same_pass(alice, holder_of, portal_client):
    card = holder_of(alice)
    client = portal_client(alice, card.cardholder)
    client.get(f"/card/{card.number}/wallet.pkpass")
    with schema_context("alice"):
        first = WalletPass.objects.get().updated_at

    assert client.get(f"/card/{card.number}/wallet.pkpass").status_code == 200

    with schema_context("alice"):
        second = WalletPass.objects.get()
    assert second.updated_at >= first + datetime.timedelta(seconds=1)


def test_someone_elses_card_is_not_found_and_nothing_is_written(alice, holder_of, portal_client):
    mine, theirs = holder_of(alice), holder_of(alice, first_name="Otto")
    client = portal_client(alice, mine.cardholder)

    refused = client.get(f"/card/{theirs.number}/wallet.pkpass")
    unknown = client.get("/card/0009999999999/wallet.pkpass")

    assert refused.status_code == unknown.status_code == 404
    assert refused.content == unknown.content  # nothing tells the other card exists
    assert _passes(alice) == 0


def test_a_blocked_card_of_ones_own_gets_no_pass(alice, holder_of, portal_client):
    card = holder_of(alice)
    with schema_context("alice"):
        Card.objects.filter(pk=card.pk).update(status=Card.Status.BLOCKED)

    assert portal_client(alice, card.cardholder).get(f"/card/{card.number}/wallet.pkpass").status_code == 404
    assert _passes(alice) == 0


def test_a_signed_out_visitor_is_sent_to_sign_in(alice, holder_of, host_client):
    card = holder_of(alice)

    response = host_client(alice).get(f"/card/{card.number}/wallet.pkpass")

    assert response.status_code == 302
    assert response["Location"] == f"/sign-in/?next=/card/{card.number}/wallet.pkpass"
    assert _passes(alice) == 0


def test_alices_cardholder_gets_nothing_on_bobs_host(alice, bob, holder_of, portal_client):
    alices = holder_of(alice)
    session = portal_client(alice, alices.cardholder).cookies[settings.SESSION_COOKIE_NAME].value
    stranger = HostClient(bob.primary_host)
    stranger.cookies[settings.SESSION_COOKIE_NAME] = session
    bobs = holder_of(bob, first_name="Berta")

    assert stranger.get(f"/card/{alices.number}/wallet.pkpass").status_code == 302  # not signed in at bob's
    # Bob's own cardholder asking for alice's card number: there is no such card at bob's.
    assert portal_client(bob, bobs.cardholder).get(f"/card/{alices.number}/wallet.pkpass").status_code == 404
    assert _passes(alice) == _passes(bob) == 0


def test_the_button_names_its_card_for_screen_readers(alice, holder_of):
    card = holder_of(alice)

    with translation.override("en"):
        html = render_to_string("portal/includes/wallet_button.html", {"card": card})

    assert f'href="/card/{card.number}/wallet.pkpass"' in html
    assert re.search(r"Add to Apple Wallet<span class=\"visually-hidden\"> \(card " + card.number + r"\)</span>", html)
    assert 'aria-hidden="true"' in html  # the drawn wallet is decoration
