"""The consent wordings in the back office: per purpose the current version and every earlier one
(date, author, consents given under it); a new version written with a confirmation (earlier
consents keep theirs); the exact text of one version in both languages. Writing needs the settings
permission (the owner); reading, the permission to see cardholders."""
import pytest

from loyalty.actors import Actor
from loyalty.errors import NotPermitted
from loyalty.models import AuditLog, Consent, ConsentWording
from loyalty.roles import BUILT_IN_ROLES, MANAGER, role_group
from loyalty.services.cardholders import consent_record, consent_record_in_back_office
from loyalty.services.consent_wordings import consent_wording_create
from loyalty.tests.cardholders.conftest import register, signed_in
from tenants.accounts.models import User
from tests.support.baseline import PASSWORD

pytestmark = pytest.mark.django_db

GERMAN = "Ich möchte den Newsletter mit den Angeboten der Woche bekommen. Widerruf jederzeit im Kundenportal."
ENGLISH = "I would like the newsletter with the offers of the week. I can withdraw this any time in the portal."


@pytest.fixture
def manager_client(alice, in_alice):
    user = User.objects.create_user("leitung@alice.example", PASSWORD, full_name="Mia Leitung")
    user.groups.add(role_group(BUILT_IN_ROLES[MANAGER]))
    return signed_in(alice, user.email)


def wordings(purpose="newsletter") -> list[tuple[int, str]]:
    return list(ConsentWording.objects.filter(purpose=purpose).order_by("version").values_list("version", "text_de"))


def test_the_list_shows_every_purposes_current_wording_and_earlier_versions(owner_client, owner):
    consent_wording_create(purpose="newsletter", text_de=GERMAN, text_en=ENGLISH, actor=Actor(user=owner))
    holder = register(first_name="Ina").cardholder
    consent_record(cardholder=holder, purpose="newsletter", granted=True, source="till", actor=Actor(user=owner),
                   wording_version="1")

    page = owner_client.get("/manage/consents/").content.decode()

    for purpose in ("terms_and_privacy", "newsletter", "sms", "analysis"):
        assert f'id="purpose-{purpose}"' in page and f'href="/manage/consents/{purpose}/new/"' in page
    newsletter = page.split('id="purpose-newsletter"')[1].split("</section>")[0]
    assert "Current: version 2" in newsletter and GERMAN in newsletter and ENGLISH in newsletter
    assert 'href="/manage/consents/newsletter/1/"' in newsletter and "1 consent given under it" in newsletter
    assert "by " + owner.full_name in newsletter or "by " + owner.email in newsletter
    assert "with the set-up" in newsletter


def test_a_new_version_is_prefilled_asked_for_and_then_saved_as_the_next_version(owner_client, owner):
    form = owner_client.get("/manage/consents/newsletter/new/").content.decode()
    assert "Ich möchte Angebote und Neuigkeiten per E-Mail erhalten." in form and "<textarea" in form

    question = owner_client.post("/manage/consents/newsletter/new/", {"text_de": GERMAN, "text_en": ENGLISH})

    page = question.content.decode()
    assert question.status_code == 200 and 'id="wording-confirm"' in page
    assert "Save this as version 2?" in page and "keep the version they were given under" in page
    assert wordings() == [(1, wordings()[0][1])]  # nothing saved yet

    saved = owner_client.post("/manage/consents/newsletter/new/", {"text_de": GERMAN, "text_en": ENGLISH,
                                                                   "confirm": "1"})

    assert saved.status_code == 302 and saved["Location"] == "/manage/consents/newsletter/2/"
    wording = ConsentWording.objects.get(purpose="newsletter", version=2)
    assert (wording.text_de, wording.text_en, wording.created_by) == (GERMAN, ENGLISH, owner)
    entry = AuditLog.objects.get(action="consent_wording.create")
    assert entry.actor_user == owner and entry.data == {"purpose": "newsletter", "version": 2}
    version_page = owner_client.get("/manage/consents/newsletter/2/").content.decode()
    assert GERMAN in version_page and ENGLISH in version_page and "People are asked with this wording now." in version_page
    earlier = owner_client.get("/manage/consents/newsletter/1/").content.decode()
    assert "earlier version" in earlier and GERMAN not in earlier


def test_the_question_can_go_back_to_the_text_with_what_was_typed(owner_client):
    back = owner_client.post("/manage/consents/newsletter/new/", {"text_de": GERMAN, "text_en": ENGLISH,
                                                                  "change": "1"})

    assert back.status_code == 200 and 'id="wording-form"' in back.content.decode() and GERMAN in back.content.decode()
    assert len(wordings()) == 1


@pytest.mark.parametrize(("data", "message"), [
    ({"text_de": "", "text_en": ENGLISH}, "Please write the German wording."),
    ({"text_de": GERMAN, "text_en": "   "}, "Please write the English wording."),
    ({"text_de": "x" * 3001, "text_en": ENGLISH}, "at most 3000 characters"),
])
def test_a_missing_or_overlong_text_is_refused_next_to_its_field(owner_client, data, message):
    for extra in ({}, {"confirm": "1"}):
        response = owner_client.post("/manage/consents/newsletter/new/", {**data, **extra})
        assert response.status_code == 400 and message in response.content.decode()
    assert len(wordings()) == 1 and not AuditLog.objects.filter(action="consent_wording.create").exists()


def test_the_same_words_again_are_no_new_version(owner_client):
    current = ConsentWording.objects.get(purpose="sms", version=1)

    response = owner_client.post("/manage/consents/sms/new/", {"text_de": current.text_de + "\n",
                                                               "text_en": current.text_en, "confirm": "1"})

    assert response.status_code == 400 and "word for word the current version 1" in response.content.decode()
    assert len(wordings("sms")) == 1


def test_a_version_is_never_changed_in_the_database(owner):
    from django.db import IntegrityError, transaction

    wording = ConsentWording.objects.get(purpose="sms", version=1)
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        ConsentWording.objects.filter(pk=wording.pk).update(text_de="geändert")


def test_managers_read_the_wordings_but_only_who_may_change_settings_writes_them(manager_client, owner):
    page = manager_client.get("/manage/consents/").content.decode()

    assert manager_client.get("/manage/consents/").status_code == 200 and "/new/" not in page
    assert manager_client.get("/manage/consents/newsletter/1/").status_code == 200
    assert manager_client.get("/manage/consents/newsletter/new/").status_code == 403
    assert manager_client.post("/manage/consents/newsletter/new/", {"text_de": GERMAN, "text_en": ENGLISH,
                                                                    "confirm": "1"}).status_code == 403
    manager = User.objects.get(email="leitung@alice.example")
    with pytest.raises(NotPermitted):
        consent_wording_create(purpose="newsletter", text_de=GERMAN, text_en=ENGLISH, actor=Actor(user=manager))
    assert len(wordings()) == 1


def test_unknown_purposes_and_versions_are_not_found(owner_client):
    assert owner_client.get("/manage/consents/lottery/new/").status_code == 404
    assert owner_client.get("/manage/consents/lottery/1/").status_code == 404
    assert owner_client.get("/manage/consents/newsletter/7/").status_code == 404


def test_the_pages_are_linked_from_the_cardholders_and_the_settings(owner_client):
    assert 'href="/manage/consents/"' in owner_client.get("/manage/cardholders/").content.decode()
    assert 'href="/manage/consents/"' in owner_client.get("/manage/settings/").content.decode()


# --- A consent written down in the back office ---------------------------------------------------

def test_a_consent_on_paper_records_the_current_version_or_the_earlier_one_picked(owner_client, owner, mueller):
    consent_wording_create(purpose="newsletter", text_de=GERMAN, text_en=ENGLISH, actor=Actor(user=owner))
    base = f"/manage/cardholders/{mueller.cardholder_id}/consents/"
    form = owner_client.get(f"{base}?purpose=newsletter").content.decode()
    assert 'value="newsletter:2"' in form and 'value="newsletter:1"' in form and GERMAN in form

    assert owner_client.post(base, {"purpose": "newsletter", "granted": "yes"}).status_code == 302
    assert owner_client.post(base, {"purpose": "newsletter", "granted": "yes", "wording": "newsletter:1"}
                             ).status_code == 302
    wrong = owner_client.post(base, {"purpose": "sms", "granted": "yes", "wording": "newsletter:1"})

    assert wrong.status_code == 200 and "a wording of another purpose" in wrong.content.decode()
    assert list(Consent.objects.order_by("pk").values_list("purpose", "source", "wording_version")) == [
        ("newsletter", "back_office", "2"), ("newsletter", "back_office", "1")]
    page = owner_client.get(f"/manage/cardholders/{mueller.cardholder_id}/").content.decode()
    assert GERMAN in page and "Ich möchte Angebote und Neuigkeiten per E-Mail erhalten." in page


def test_the_service_refuses_a_version_that_does_not_exist(owner, mueller):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        consent_record_in_back_office(cardholder=mueller.cardholder, purpose="sms", granted=True,
                                      actor=Actor(user=owner), wording_version=5)
    assert not Consent.objects.exists()


def test_the_pages_read_german(alice, in_alice):
    from tests.support.baseline import owner_email

    client = signed_in(alice, owner_email("alice"), language="de")

    page = client.get("/manage/consents/").content.decode()
    new = client.get("/manage/consents/newsletter/new/").content.decode()
    version = client.get("/manage/consents/newsletter/1/").content.decode()

    assert "Einwilligungstexte" in page and "Aktuell: Fassung 1" in page and "Neue Fassung" in page
    assert "Neue Fassung prüfen" in new and "Text auf Deutsch" in new
    assert "aktuell" in version and "Einwilligungen mit diesem Text" in version
