"""The cardholder's profile in the portal: their data and the merchant's own fields changed by the
same rules as in the back office (one audited change), a new e-mail address confirmed through a
link sent to it, and nothing that tells a requester whether an address is another customer's."""
import pytest
from django.core import mail
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.errors import CardholderAnonymised, NotPermitted
from loyalty.models import AuditLog, Cardholder, CustomField
from loyalty.services.cardholders import cardholder_update
from loyalty.services.portal_accounts import CONFIRM_NEW_EMAIL, portal_link_token
from loyalty.services.privacy import (
    cardholder_anonymise,
    cardholder_email_change_request,
    cardholder_profile_update,
)
from portal.tests.privacy.conftest import PERSON, SYSTEM, holder, link_in, mails_to

pytestmark = pytest.mark.django_db

FORM = {"first_name": "Hanna", "last_name": "Quastenberg", "gender": "f", "birth_date": "07.03.1984",
        "postcode": "80331", "phone": "+49 171 5550123", "language": "de", "email_new": ""}


def audits(action: str) -> list[AuditLog]:
    with schema_context("alice"):
        return list(AuditLog.objects.filter(action=action).order_by("pk"))


def test_the_profile_shows_the_persons_data_with_a_label_for_every_field(client):
    page = client.get("/profile/").content.decode()

    for value in ('value="Hanna"', 'value="Quastenberg"', 'value="07.03.1984"', 'value="80331"',
                  'value="+49 171 5550123"', "hanna.quast@example.org"):
        assert value in page
    for name in ("first_name", "last_name", "gender", "birth_date", "postcode", "phone", "language", "email_new"):
        assert f'<label for="id_{name}">' in page
    assert 'autocomplete="given-name"' in page and 'autocomplete="bday"' in page


def test_a_change_is_saved_and_audited_as_the_cardholder_in_the_portal(client, hanna):
    response = client.post("/profile/", {**FORM, "last_name": "Quastenberg-Ries", "postcode": "80469",
                                         "language": "en"})

    assert response.status_code == 302 and response["Location"] == "/profile/"
    person = holder(hanna)
    assert (person.last_name, person.postcode, person.language) == ("Quastenberg-Ries", "80469", "en")
    entry = audits("cardholder.update")[-1]
    assert entry.actor_label == "portal" and entry.actor_user is None and entry.address == "127.0.0.1"
    assert entry.object_id == str(hanna.cardholder_id)
    assert entry.data == {"fields": ["language", "last_name", "postcode"]}
    assert "Ries" not in str(entry.data)
    # The search index follows the new name (the one rule of every change).
    with schema_context("alice"):
        from loyalty.services.cardholders import cardholders_find
        assert list(cardholders_find("ries").cardholders) == [person]
    assert "Your changes are saved." in client.get("/profile/").content.decode()


def test_wrong_entries_are_explained_next_to_their_fields_and_what_was_typed_stays(client, hanna):
    before = (holder(hanna).last_name, len(audits("cardholder.update")))

    response = client.post("/profile/", {**FORM, "last_name": "Neuname", "phone": "call me",
                                         "birth_date": "31.02.2000", "email_new": "not-an-address"})

    page = response.content.decode()
    assert response.status_code == 400
    assert 'value="Neuname"' in page and 'value="call me"' in page
    for name in ("phone", "birth_date", "email_new"):
        assert f'aria-describedby="id_{name}-error' in page and f'id="id_{name}-error"' in page
    assert "Please enter a phone number with digits only" in page and "like 31.12.1980" in page
    assert (holder(hanna).last_name, len(audits("cardholder.update"))) == before
    assert mail.outbox == []


def test_the_merchants_active_own_fields_are_asked_by_their_rules_and_others_kept(alice, client, hanna):
    with schema_context("alice"):
        CustomField.objects.create(key="lieblingsbrot", label="Lieblingsbrot", kind="choice",
                                   choices=["Roggen", "Dinkel"], required=True, position=1)
        CustomField.objects.create(key="alt", label="Alte Kundennummer", is_active=False, position=2)
        person = Cardholder.objects.get(pk=hanna.cardholder_id)
        person.custom_data = {"alt": "K-17"}
        person.save()

    page = client.get("/profile/").content.decode()
    assert "Lieblingsbrot" in page and "Alte Kundennummer" not in page
    refused = client.post("/profile/", {**FORM, "own__lieblingsbrot": "Weizen"})
    assert refused.status_code == 400 and "id_own__lieblingsbrot-error" in refused.content.decode()
    assert holder(hanna).custom_data == {"alt": "K-17"}

    assert client.post("/profile/", {**FORM, "own__lieblingsbrot": "Dinkel"}).status_code == 302
    assert holder(hanna).custom_data == {"alt": "K-17", "lieblingsbrot": "Dinkel"}
    assert audits("cardholder.update")[-1].data == {"fields": ["custom_data"], "own_fields": ["lieblingsbrot"]}


def test_a_new_address_counts_only_after_its_link_is_followed_and_the_old_one_is_told(alice, client, hanna):
    response = client.post("/profile/", {**FORM, "email_new": "hanna@neu.example"}, follow=True)

    assert "Please check that inbox" in response.content.decode()
    person = holder(hanna)
    assert (person.email, person.email_new) == ("hanna.quast@example.org", "hanna@neu.example")
    [message] = mails_to("hanna@neu.example")
    assert mails_to("hanna.quast@example.org") == []
    path = link_in(message, "/profile/email/")
    assert audits("cardholder.email_change_request")[-1].data == {}

    # Opening the link (or a mail scanner fetching it) changes nothing; the button does.
    page = client.get(path).content.decode()
    assert "hanna@neu.example" in page and "<form" in page
    assert holder(hanna).email == "hanna.quast@example.org"
    confirmed = client.post(path)

    assert confirmed.status_code == 302 and confirmed["Location"] == "/profile/"
    person = holder(hanna)
    assert (person.email, person.email_new) == ("hanna@neu.example", None)
    assert person.email_confirmed_at is not None
    with schema_context("alice"):
        from loyalty.services.cardholders import cardholder_find_by_email
        assert cardholder_find_by_email("Hanna@Neu.example") == person
        assert cardholder_find_by_email("hanna.quast@example.org") is None
    [notice] = mails_to("hanna.quast@example.org")
    assert "h•••@neu.example" in notice.body and "/profile/email/" not in notice.body
    assert audits("cardholder.update")[-1].data == {"fields": ["email"]}
    # The link works once.
    assert client.get(path).status_code == 404 and client.post(path).status_code == 404


def test_an_address_of_another_customer_is_not_taken_and_the_requester_cannot_tell(alice, client, hanna,
                                                                                   holder_of):
    holder_of(alice, first_name="Berta", email="berta@example.org", language="de")
    free = client.post("/profile/", {**FORM, "email_new": "frei@example.org"}, follow=True)
    taken = client.post("/profile/", {**FORM, "email_new": "berta@example.org"}, follow=True)

    def answer(response, address):
        """What the page says after the request, the address typed left out."""
        return [str(message).replace(address, "ADDRESS") for message in response.context["messages"]]

    assert taken.status_code == free.status_code == 200
    assert taken.redirect_chain == free.redirect_chain == [("/profile/", 302)]
    assert answer(taken, "berta@example.org") == answer(free, "frei@example.org")
    assert len(answer(free, "frei@example.org")) == 2
    # Nothing of Berta's address is kept with Hanna's (the earlier request stays waiting).
    assert holder(hanna).email_new == "frei@example.org"
    [notice] = mails_to("berta@example.org")
    # In Berta's language, with no link that could move anything.
    assert "/profile/email/" not in notice.body and "daher wurde nichts geändert" in notice.body
    with schema_context("alice"):
        assert Cardholder.objects.get(pk=hanna.cardholder_id).email == PERSON["email"]
    assert audits("cardholder.email_change_request")[-1].data == {"address_taken": True}


def test_an_address_taken_meanwhile_is_refused_at_the_confirmation(alice, client, hanna, holder_of):
    client.post("/profile/", {**FORM, "email_new": "spaeter@example.org"})
    path = link_in(mails_to("spaeter@example.org")[0], "/profile/email/")
    holder_of(alice, first_name="Carla", email="spaeter@example.org")

    response = client.post(path)

    assert response.status_code == 409 and "used for another customer card" in response.content.decode()
    assert holder(hanna).email == PERSON["email"]


def test_e_mails_on_request_are_limited_per_recipient_and_person(client, hanna):
    for number in range(5):
        assert client.post("/profile/", {**FORM, "email_new": f"neu{number}@example.org"}).status_code == 302
    sent = len(mail.outbox)

    response = client.post("/profile/", {**FORM, "email_new": "neu9@example.org", "postcode": "99999"})

    assert response.status_code == 400 and "Please try again in" in response.content.decode()
    assert len(mail.outbox) == sent
    # Both or neither: the other change of the refused form is not saved either.
    assert holder(hanna).postcode == PERSON["postcode"]


def test_the_services_let_a_cardholder_change_only_themself(alice, hanna, holder_of):
    other = holder_of(alice, first_name="Berta", email="berta@example.org")
    with schema_context("alice"):
        hanna_holder, berta = Cardholder.objects.get(pk=hanna.cardholder_id), other.cardholder
        as_berta = Actor.for_cardholder(berta)
        with pytest.raises(NotPermitted):
            cardholder_profile_update(cardholder=hanna_holder, actor=as_berta, first_name="Eve")
        with pytest.raises(NotPermitted):
            cardholder_email_change_request(cardholder=hanna_holder, email="eve@example.org", actor=as_berta)
        # A cardholder holds no staff permission: the back office's change is refused too.
        with pytest.raises(NotPermitted):
            cardholder_update(cardholder=hanna_holder, actor=Actor.for_cardholder(hanna_holder), first_name="Eve")
        with pytest.raises(TypeError):
            cardholder_profile_update(cardholder=hanna_holder, actor=Actor.for_cardholder(hanna_holder),
                                      email="eve@example.org")
        assert Cardholder.objects.get(pk=hanna.cardholder_id).first_name == "Hanna"


def test_an_anonymised_person_cannot_be_changed_by_any_service(alice, hanna):
    with schema_context("alice"):
        person = Cardholder.objects.get(pk=hanna.cardholder_id)
        stale = Cardholder.objects.get(pk=hanna.cardholder_id)  # a form opened before the deletion
        cardholder_anonymise(cardholder=person, keep_card_usable=True, actor=SYSTEM)
        count = AuditLog.objects.count()
        with pytest.raises(CardholderAnonymised):
            cardholder_update(cardholder=stale, actor=SYSTEM, first_name="Hanna")
        with pytest.raises(CardholderAnonymised):
            cardholder_profile_update(cardholder=stale, actor=Actor.for_cardholder(stale), first_name="Hanna")
        assert Cardholder.objects.get(pk=person.pk).first_name == ""
        assert AuditLog.objects.count() == count


def test_the_back_office_edit_of_an_anonymised_person_is_refused(alice, hanna):
    from loyalty.tests.cardholders.conftest import signed_in
    from tests.support.baseline import owner_email

    with schema_context("alice"):
        cardholder_anonymise(cardholder=Cardholder.objects.get(pk=hanna.cardholder_id), keep_card_usable=True,
                             actor=SYSTEM)
    owner = signed_in(alice, owner_email("alice"))

    response = owner.post(f"/manage/cardholders/{hanna.cardholder_id}/edit/", {
        "first_name": "Hanna", "last_name": "", "language": "de", "gender": ""})

    assert response.status_code == 409 and "deleted on request" in response.content.decode()
    assert holder(hanna).first_name == ""


def test_a_link_for_a_new_address_is_refused_once_the_request_is_replaced(client, hanna):
    client.post("/profile/", {**FORM, "email_new": "erste@example.org"})
    first = link_in(mails_to("erste@example.org")[0], "/profile/email/")
    client.post("/profile/", {**FORM, "email_new": "zweite@example.org"})

    assert client.post(first).status_code == 404
    assert holder(hanna).email == PERSON["email"] and holder(hanna).email_new == "zweite@example.org"
    with schema_context("alice"):
        forged = portal_link_token(Cardholder.objects.get(pk=hanna.cardholder_id), CONFIRM_NEW_EMAIL)
    assert client.get(f"/profile/email/{forged}x/").status_code == 404
