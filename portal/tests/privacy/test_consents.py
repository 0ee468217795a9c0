"""Consents in the portal: one row per purpose with the current wording, the person's choice and
since when; giving and withdrawing one click each. Every change is a Consent row with its date,
source and wording version (Must), and the back office shows the exact words behind each row,
also after a newer version exists (Must)."""
import pytest
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.errors import WordingChanged
from loyalty.models import AuditLog, Consent
from loyalty.services.cardholders import consent_record
from loyalty.services.consent_wordings import consent_wording_create
from loyalty.services.privacy import consent_portal_set
from loyalty.tests.cardholders.conftest import signed_in
from portal.tests.privacy.conftest import SYSTEM, holder
from tenants.accounts.models import User
from tests.support.baseline import owner_email

pytestmark = pytest.mark.django_db

NEW_NEWSLETTER = ("Ich möchte einmal im Monat die Angebote der Woche per E-Mail bekommen. Widerruf jederzeit.",
                  "I would like the offers of the week by e-mail once a month. I can withdraw this at any time.")


def consents_of(card) -> list[Consent]:
    with schema_context("alice"):
        return list(Consent.objects.filter(cardholder_id=card.cardholder_id).order_by("pk"))


def new_version(purpose="newsletter", texts=NEW_NEWSLETTER):
    with schema_context("alice"):
        owner = User.objects.get(email=owner_email("alice"))
        return consent_wording_create(purpose=purpose, text_de=texts[0], text_en=texts[1], actor=Actor(user=owner))


def toggle(client, purpose, granted, version):
    return client.post("/profile/consents/", {"purpose": purpose, "granted": "yes" if granted else "no",
                                              "wording_version": str(version)})


def test_one_row_per_purpose_with_the_current_wording_and_a_toggle(client, hanna):
    with schema_context("alice"):
        consent_record(cardholder=holder(hanna), purpose="terms_and_privacy", granted=True, source="till",
                       actor=SYSTEM, wording_version="1")
    page = client.get("/profile/consents/").content.decode()

    for purpose in ("newsletter", "sms", "analysis"):
        section = page.split(f'id="consent-{purpose}"')[1].split("</section>")[0]
        assert 'name="wording_version" value="1"' in section and "Give consent" in section
        assert "not given" in section
    assert "I would like to receive offers and news by e-mail." in page
    terms = page.split('id="consent-terms_and_privacy"')[1].split("</section>")[0]
    assert "<form" not in terms and 'href="/profile/delete/"' in terms
    assert "I agree to the customer card&#x27;s terms" in terms and "at the till" in terms


def test_giving_and_withdrawing_are_one_click_each_and_each_is_a_row_with_date_source_and_version(client, hanna):
    given = toggle(client, "newsletter", True, 1)

    assert given.status_code == 302 and given["Location"] == "/profile/consents/#consent-newsletter"
    page = client.get("/profile/consents/").content.decode()
    section = page.split('id="consent-newsletter"')[1].split("</section>")[0]
    assert "Withdraw consent" in section and 'name="granted" value="no"' in section and "since" in section

    assert toggle(client, "newsletter", False, 1).status_code == 302

    first, second = consents_of(hanna)
    for row, granted in ((first, True), (second, False)):
        assert (row.purpose, row.granted, row.source, row.wording_version) == ("newsletter", granted, "portal", "1")
        assert row.created_at is not None and row.actor_user is None and row.actor_terminal is None
    with schema_context("alice"):
        audits = list(AuditLog.objects.filter(action="cardholder.consent").order_by("pk"))
    assert [(entry.actor_label, entry.object_id, entry.data["granted"], entry.data["source"]) for entry in audits] == [
        ("portal", str(hanna.cardholder_id), True, "portal"), ("portal", str(hanna.cardholder_id), False, "portal")]
    history = client.get("/profile/consents/").content.decode().split('id="consent-history"')[1]
    assert history.count("<li>") == 2 and "Wording, version 1" in history


def test_a_consent_shown_under_an_older_wording_is_asked_again_with_the_new_words(client, hanna):
    opened = client.get("/profile/consents/").content.decode()
    assert 'name="wording_version" value="1"' in opened
    new_version()  # the merchant writes version 2 while the page is open

    response = toggle(client, "newsletter", True, 1)

    page = response.content.decode()
    assert response.status_code == 409
    assert consents_of(hanna) == []
    section = page.split('id="consent-newsletter"')[1].split("</section>")[0]
    assert 'id="asked-again"' in section and NEW_NEWSLETTER[1] in section
    assert 'name="wording_version" value="2"' in section

    assert toggle(client, "newsletter", True, 2).status_code == 302
    [row] = consents_of(hanna)
    assert (row.granted, row.wording_version) == (True, "2")


def test_a_withdrawal_needs_no_new_reading_and_keeps_the_version_shown(client, hanna):
    toggle(client, "sms", True, 1)
    new_version("sms", ("SMS neu", "SMS new"))

    assert toggle(client, "sms", False, 1).status_code == 302

    assert [(row.granted, row.wording_version) for row in consents_of(hanna)] == [(True, "1"), (False, "1")]


def test_a_second_click_records_nothing_new(client, hanna):
    toggle(client, "analysis", True, 1)
    toggle(client, "analysis", True, 1)

    assert len(consents_of(hanna)) == 1


@pytest.mark.parametrize("data", [
    {"purpose": "terms_and_privacy", "granted": "no", "wording_version": "1"},
    {"purpose": "newsletter", "granted": "maybe", "wording_version": "1"},
    {"purpose": "newsletter", "granted": "yes", "wording_version": "99"},
    {"purpose": "newsletter", "granted": "yes", "wording_version": "x"},
    {},
])
def test_odd_answers_change_nothing(client, hanna, data):
    with schema_context("alice"):
        audits = AuditLog.objects.count()

    response = client.post("/profile/consents/", data)

    assert response.status_code in (400, 409)
    assert consents_of(hanna) == []
    with schema_context("alice"):
        assert AuditLog.objects.count() == audits


def test_the_service_records_only_the_persons_own_consent_under_the_current_wording(alice, hanna, holder_of):
    berta = holder_of(alice, first_name="Berta", email="berta@example.org").cardholder
    with schema_context("alice"):
        person = holder(hanna)
        from loyalty.errors import NotPermitted
        with pytest.raises(NotPermitted):
            consent_portal_set(cardholder=person, purpose="newsletter", granted=True, wording_version=1,
                               actor=Actor.for_cardholder(berta))
        with pytest.raises(NotPermitted):
            consent_portal_set(cardholder=person, purpose="newsletter", granted=True, wording_version=1,
                               actor=Actor(label="test"))
    new_version()
    with schema_context("alice"), pytest.raises(WordingChanged) as refusal:
        consent_portal_set(cardholder=person, purpose="newsletter", granted=True, wording_version=1,
                           actor=Actor.for_cardholder(person))
    assert refusal.value.purposes == ["newsletter"]
    assert consents_of(hanna) == []


def test_the_merchant_shows_the_exact_wording_a_person_agreed_to_also_after_a_newer_version(alice, client, hanna):
    toggle(client, "newsletter", True, 1)
    new_version()
    toggle(client, "newsletter", False, 2)
    toggle(client, "newsletter", True, 2)
    first, withdrawn, again = consents_of(hanna)
    owner = signed_in(alice, owner_email("alice"))

    page = owner.get(f"/manage/cardholders/{hanna.cardholder_id}/").content.decode()

    def row(consent):
        return page.split(f'id="consent-{consent.pk}"')[1].split("</tr>")[0]

    old_de = "Ich möchte Angebote und Neuigkeiten per E-Mail erhalten."
    assert old_de in row(first) and NEW_NEWSLETTER[0] not in row(first)
    assert "in the customer portal" in row(first) and 'href="/manage/consents/newsletter/1/"' in row(first)
    assert NEW_NEWSLETTER[0] in row(again) and old_de not in row(again)
    assert 'href="/manage/consents/newsletter/2/"' in row(again)
    now = page.split('id="consents-now"')[1].split("</table>")[0]
    assert 'href="/manage/consents/newsletter/2/"' in now
    # The version's own page holds its exact text in both languages.
    version_page = owner.get("/manage/consents/newsletter/1/").content.decode()
    assert old_de in version_page and "I would like to receive offers and news by e-mail." in version_page
    assert NEW_NEWSLETTER[0] not in version_page


def test_the_consent_page_reads_german(alice, hanna, portal_client):
    page = portal_client(alice, hanna.cardholder, language="de").get("/profile/consents/").content.decode()

    assert "Einwilligung erteilen" in page and "Ich möchte Angebote und Neuigkeiten per E-Mail erhalten." in page
    assert "Give consent" not in page
