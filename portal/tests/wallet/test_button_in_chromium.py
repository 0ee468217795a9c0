"""The button under each card in Chromium: named for its card, focusable, and it downloads the
card's pass."""
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django_tenants.utils import schema_context

from portal.tests.wallet.conftest import Pkpass
from tests.support.browser import shoot


@pytest.mark.parametrize("language", ["de", "en"])
def test_in_chromium_the_button_downloads_the_cards_pass(language, committed, alice, holder_of, portal_client,
                                                         live_site, chromium):
    card = holder_of(alice, first_name="Hanna")
    session = portal_client(alice, card.cardholder).cookies[settings.SESSION_COOKIE_NAME].value
    context = chromium.new_context(locale=language, accept_downloads=True)
    url = live_site.url(alice.primary_host, "/")
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": url}])
    page = context.new_page()
    # The card page is another part of the portal: here a page of the portal's frame with the
    # button as the card page includes it, served in place of the card page.
    with schema_context("alice"), translation.override(language):
        body = render_to_string("portal/includes/wallet_button.html", {"card": card})
    page.goto(live_site.url(alice.primary_host, "/impressum/"))
    page.evaluate("html => { document.querySelector('main').innerHTML = html }",
                  f"<h1>{card.number}</h1><p class=\"balance\">12</p>{body}")
    button = page.get_by_role("link", name=re.compile("Apple Wallet"))
    expected = "Zu Apple Wallet hinzufügen (Karte" if language == "de" else "Add to Apple Wallet (card"
    assert button.evaluate("element => element.textContent.replace(/\\s+/g, ' ').trim()").startswith(expected)
    button.focus()
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    shoot(page, "wallet-button")

    with page.expect_download() as download:
        button.click()

    pkpass = Pkpass(Path(download.value.path()).read_bytes())
    assert pkpass.pass_json["serialNumber"] == card.number
    assert download.value.suggested_filename == f"alices-bakery-{card.number}.pkpass"
    context.close()
