"""Every page of the customer portal in German shows no English text of ours, and in English no
German one: each GET page of the portal in tests.support.routes is rendered for alice's cardholder
(signed in) and for a visitor, in both languages, and compared with the German catalogue."""
import pytest
from django_tenants.utils import schema_context

from loyalty.models import Cardholder
from tests.support.clients import HostClient
from tests.support.portal import portal_signed_in
from tests.support.routes import TENANT_ROUTES
from tests.test_back_office_languages import _catalogue, _found, visible_text
from tests.test_isolation_sweep import alices  # noqa: F401  (alice's ids, shared with the sweep)

pytestmark = pytest.mark.django_db

# Not pages: the merchant's logo, downloads and Apple's pass web service.
_NOT_PAGES = ("logo/", "wallet/", "profile/data.", "card/<str:number>/wallet.pkpass")


def _portal_pages(ids) -> list[str]:
    return [path.format(**ids) for pattern, calls in TENANT_ROUTES.items()
            if not pattern.startswith(("manage/", "pos/", "api/", "i18n/")) and not pattern.startswith(_NOT_PAGES)
            for method, path in calls if method == "GET"]


def test_every_portal_page_in_german_shows_no_english_phrase_and_in_english_no_german_one(alice, request):
    ids = request.getfixturevalue("alices")["ids"]
    with schema_context("alice"):
        cardholder = Cardholder.objects.get(pk=ids["cardholder"])
    catalogue = _catalogue()
    clients = {language: [portal_signed_in(alice, cardholder, language=language),
                          HostClient(alice.primary_host, HTTP_ACCEPT_LANGUAGE=language)]
               for language in ("de", "en")}
    untranslated, seen = [], set()
    for path in _portal_pages(ids):
        for language, phrases in (("de", catalogue.keys()), ("en", catalogue.values())):
            for client in clients[language]:
                response = client.get(path)
                if response.status_code != 200 or "text/html" not in response["Content-Type"]:
                    continue
                seen.add(path)
                text = visible_text(response.content.decode())
                untranslated += [(language, path, phrase) for phrase in phrases if _found(text, phrase)]
    # The landing, legal, registration, sign-in, card, history, profile, consents, data and
    # deletion pages at least were rendered.
    assert len(seen) >= 12, sorted(seen)
    assert untranslated == []
