"""Isolation of the profile, consents, own data, deletion and the consent wordings: alice's
cardholder's session and links open nothing on bob's or charlie's host and change nothing there or
at alice's; alice's wordings never show on bob's or charlie's pages, portal or back office."""
import pytest
from django.conf import settings
from django.core import mail
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.models import AuditLog, Cardholder, Consent, ConsentWording
from loyalty.services.consent_wordings import consent_wording_create
from loyalty.services.portal_accounts import CONFIRM_NEW_EMAIL, DELETION, portal_link_token
from loyalty.tests.cardholders.conftest import signed_in
from portal.tests.privacy.conftest import holder
from tests.support.baseline import owner_email
from tests.support.clients import HostClient

pytestmark = pytest.mark.django_db

ALICES_WORDING = ("Alices geheimer Newslettertext: Brötchen-Angebote jeden Morgen.",
                  "Alice's secret newsletter words: bread roll offers every morning.")
PORTAL_PAGES = ["/profile/", "/profile/consents/", "/profile/data/", "/profile/data.json", "/profile/data.csv",
                "/profile/delete/"]


@pytest.fixture
def alices(alice, hanna, client):
    """What alice's cardholder holds: a portal session, links of every kind of this part, and a
    wording of alice's own."""
    with schema_context("alice"):
        from tenants.accounts.models import User
        owner = User.objects.get(email=owner_email("alice"))
        consent_wording_create(purpose="newsletter", text_de=ALICES_WORDING[0], text_en=ALICES_WORDING[1],
                               actor=Actor(user=owner))
        person = Cardholder.objects.get(pk=hanna.cardholder_id)
        person.email_new = "hanna@neu.example"
        person.save()
        tokens = {"new_email": portal_link_token(person, CONFIRM_NEW_EMAIL),
                  "deletion": portal_link_token(person, DELETION, keep=1)}
    return {"session": client.cookies[settings.SESSION_COOKIE_NAME].value, "tokens": tokens,
            "secrets": ["Hanna", "Quastenberg", "hanna.quast@example.org", hanna.number, ALICES_WORDING[0],
                        ALICES_WORDING[1].replace("'", "&#x27;")]}


def _writes(schema: str) -> tuple:
    with schema_context(schema):
        return (Consent.objects.count(), AuditLog.objects.exclude(action__startswith="throttled.").count(),
                Cardholder.objects.filter(anonymised_at__isnull=False).count(), ConsentWording.objects.count())


@pytest.mark.parametrize("other", ["bob", "charlie"])
def test_alices_cardholder_gets_nothing_on_another_merchants_portal(alices, other, request, hanna):
    merchant = request.getfixturevalue(other)
    before = {schema: _writes(schema) for schema in ("alice", other)}
    stranger = HostClient(merchant.primary_host, HTTP_ACCEPT_LANGUAGE="en")
    stranger.cookies[settings.SESSION_COOKIE_NAME] = alices["session"]
    answers = []
    for path in PORTAL_PAGES:
        answers.append(("GET", path, stranger.get(path)))
    for path, data in (("/profile/", {"first_name": "Eve", "language": "de"}),
                       ("/profile/consents/", {"purpose": "newsletter", "granted": "yes", "wording_version": "1"}),
                       ("/profile/delete/", {"cards": "keep"})):
        answers.append(("POST", path, stranger.post(path, data)))
    for token in alices["tokens"].values():
        for path in (f"/profile/email/{token}/", f"/profile/delete/{token}/"):
            answers.append(("GET", path, stranger.get(path)))
            answers.append(("POST", path, stranger.post(path)))

    for method, path, response in answers:
        body = response.content.decode(errors="replace")
        assert [secret for secret in alices["secrets"] if secret in body] == [], (method, path)
        if path in PORTAL_PAGES:  # not signed in there: sent to that host's sign-in
            assert response.status_code == 302 and response["Location"].startswith("/sign-in/"), (method, path)
        else:  # alice's links are nobody's there
            assert response.status_code == 404, (method, path, response.status_code)
    assert {schema: _writes(schema) for schema in ("alice", other)} == before
    assert holder(hanna).anonymised_at is None and holder(hanna).email == "hanna.quast@example.org"
    assert mail.outbox == []


@pytest.mark.parametrize("other", ["bob", "charlie"])
def test_alices_wordings_never_show_on_another_merchants_pages(alices, other, request, host_client):
    merchant = request.getfixturevalue(other)
    portal = host_client(merchant)
    back_office = signed_in(merchant, owner_email(other))

    pages = [portal.get("/datenschutz/", HTTP_ACCEPT_LANGUAGE=language) for language in ("de", "en")]
    pages += [back_office.get(path) for path in ("/manage/consents/", "/manage/consents/newsletter/1/",
                                                 "/manage/consents/newsletter/new/")]
    missing = back_office.get("/manage/consents/newsletter/2/")  # alice's version 2

    for response in pages:
        assert response.status_code == 200
        body = response.content.decode()
        assert ALICES_WORDING[0] not in body and "secret newsletter words" not in body
        assert "Ich möchte Angebote und Neuigkeiten per E-Mail erhalten." in body or "offers and news by e-mail" in body
    assert missing.status_code == 404
    with schema_context(other):
        assert ConsentWording.objects.filter(purpose="newsletter").count() == 1


def test_alices_own_privacy_notice_shows_her_current_wordings(alice, alices, host_client):
    page = host_client(alice).get("/datenschutz/", HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert ALICES_WORDING[0] in page and "Fassung 2" in page
    for link in ("/profile/", "/profile/consents/", "/profile/data/", "/profile/delete/"):
        assert f'href="{link}"' in page
