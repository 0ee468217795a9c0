"""Registering a card in the portal with its printed number and activation code: the details asked,
the consents recorded with the wording's version shown, the confirmation e-mail, and every way the
two steps refuse without losing what was typed."""
import time
from email.utils import parseaddr

import pytest
from django.conf import settings
from django.contrib.sessions.backends.cached_db import SessionStore
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.models import (
    AuditLog,
    BonusAction,
    Card,
    Cardholder,
    Consent,
    ConsentWording,
    CustomField,
    LedgerEntry,
)
from loyalty.services.portal_accounts import REGISTRATION_MAX_AGE
from loyalty.services.shop import shop_settings_update
from portal.tests.accounts.conftest import (
    CODE,
    DETAILS,
    input_tag,
    is_ticked,
    link_path,
    mails_to,
    register,
)
from tests.support.factories import CardFactory, ProgramFactory
from tests.support.portal import portal_signed_in

pytestmark = pytest.mark.django_db


def _holder(merchant, number) -> Cardholder | None:
    with schema_context(merchant.schema_name):
        return Card.objects.select_related("cardholder").get(number=number).cardholder


def _consents(merchant, cardholder) -> list[tuple]:
    with schema_context(merchant.schema_name):
        return sorted(Consent.objects.filter(cardholder=cardholder)
                      .values_list("purpose", "granted", "source", "wording_version"))


def test_the_register_page_is_made_for_a_phone(alice, visitor):
    page = visitor(alice).get("/register/").content.decode()

    assert 'name="card_number"' in page and 'inputmode="numeric"' in page and "autofocus" in page
    assert 'autocomplete="one-time-code"' in page
    assert '<label for="id_card_number">' in page and '<label for="id_activation_code">' in page
    assert 'aria-describedby="id_card_number_helptext"' in page


def test_a_card_is_registered_with_its_number_and_code_typed_as_people_type_them(
        alice, visitor, blank_card, mailoutbox, django_capture_on_commit_callbacks):
    card = blank_card(alice)
    client = visitor(alice)
    spaced = f"{card.number[:4]} {card.number[4:8]} {card.number[8:]}"

    step_one = client.post("/register/", {"card_number": spaced, "activation_code": "k7m2-p9qx"})
    assert step_one.status_code == 302 and step_one["Location"] == "/register/details/"
    details = client.get("/register/details/").content.decode()
    assert card.number in details
    assert 'autocomplete="given-name"' in details and 'autocomplete="family-name"' in details
    assert 'autocomplete="email"' in details
    with django_capture_on_commit_callbacks(execute=True):
        step_two = client.post("/register/details/", {**DETAILS, "newsletter": "on"})

    assert step_two.status_code == 302 and step_two["Location"] == "/register/sent/"
    holder = _holder(alice, card.number)
    assert (holder.first_name, holder.last_name, holder.email) == ("Hanna", "Huber", "hanna@example.de")
    assert holder.language == "en" and holder.email_confirmed_at is None and holder.password == ""
    with schema_context("alice"):
        assert Card.objects.get(number=card.number).status == Card.Status.ACTIVE
        assert set(AuditLog.objects.filter(actor_label="portal").values_list("action", flat=True)) == {
            "cardholder.create", "card.register", "cardholder.consent"}
    assert _consents(alice, holder) == [("newsletter", True, "portal", "1"), ("terms_and_privacy", True, "portal", "1")]
    [message] = mails_to("hanna@example.de")
    assert parseaddr(message.from_email)[0] == "Alice’s Bakery"
    assert "Please confirm your e-mail address" in message.subject and "Hello Hanna," in message.body
    assert link_path(message, "/confirm/").startswith("/confirm/")
    sent = client.get("/register/sent/").content.decode()
    assert "Check your inbox" in sent and "hanna@example.de" in sent


def test_the_confirmation_mail_is_in_german_for_a_person_registering_in_german(
        alice, visitor, blank_card, mailoutbox, django_capture_on_commit_callbacks):
    card = blank_card(alice)
    with schema_context("alice"):
        shop_settings_update(actor=Actor(label="test"), contact_email="hallo@alice.example")

    with django_capture_on_commit_callbacks(execute=True):
        register(visitor(alice, language="de"), card.number)

    [message] = mailoutbox
    assert "Bitte bestätigen Sie Ihre E-Mail-Adresse" in message.subject
    assert message.body.startswith("Hallo Hanna,") and "Alice’s Bakery" in message.body
    assert message.reply_to == ["hallo@alice.example"]
    assert _holder(alice, card.number).language == "de"


def test_a_handed_out_card_without_a_holder_can_be_registered_too(alice, visitor, blank_card):
    card = blank_card(alice, status=Card.Status.ACTIVE)

    assert register(visitor(alice), card.number).status_code == 302
    assert _holder(alice, card.number).first_name == "Hanna"


def test_the_sign_up_bonus_is_booked_once_as_at_the_till(alice, visitor, blank_card):
    with schema_context("alice"):
        points = ProgramFactory(kind="points")
        BonusAction.objects.create(program=points, kind=BonusAction.Kind.SIGN_UP, name="Willkommen", points=50)
    card = blank_card(alice)

    register(visitor(alice), card.number)

    with schema_context("alice"):
        assert list(LedgerEntry.objects.filter(account__card__number=card.number)
                    .values_list("amount", flat=True)) == [50]


def test_the_merchants_own_fields_of_the_registration_are_asked_and_checked_by_their_rule(
        alice, visitor, blank_card):
    with schema_context("alice"):
        CustomField.objects.create(key="lieblingsbrot", label="Lieblingsbrot", kind="choice",
                                   choices=["Roggen", "Dinkel"], required=True, at_registration=True)
        CustomField.objects.create(key="geburtstag", label="Geburtstag", kind="date", at_registration=True)
        CustomField.objects.create(key="intern", label="Interne Notiz", at_registration=False)
    card = blank_card(alice)
    client = visitor(alice)
    client.post("/register/", {"card_number": card.number, "activation_code": CODE})
    form = client.get("/register/details/").content.decode()
    assert "Lieblingsbrot" in form and "Geburtstag (optional)" in form and "Interne Notiz" not in form

    refused = client.post("/register/details/", {**DETAILS, "own__lieblingsbrot": "",
                                                 "own__geburtstag": "31.02.1980", "last_name": "Hu"})

    page = refused.content.decode()
    assert refused.status_code == 200 and _holder(alice, card.number) is None
    assert "“Lieblingsbrot” is required." in page
    assert "“Geburtstag” takes a date like 31.12.1980, not “31.02.1980”." in page
    assert 'aria-describedby="id_own__lieblingsbrot_error"' in input_tag(page, "own__lieblingsbrot")
    assert 'aria-invalid="true"' in input_tag(page, "own__geburtstag")
    # What was typed stays.
    assert 'value="Hanna"' in page and 'value="Hu"' in page and 'value="hanna@example.de"' in page
    assert 'value="31.02.1980"' in page

    client.post("/register/details/", {**DETAILS, "own__lieblingsbrot": "Dinkel", "own__geburtstag": "1980-12-31"})

    assert _holder(alice, card.number).custom_data == {"lieblingsbrot": "Dinkel", "geburtstag": "1980-12-31"}


def test_the_terms_must_be_agreed_to_and_the_details_are_kept_meanwhile(alice, visitor, blank_card, mailoutbox):
    card = blank_card(alice)
    client = visitor(alice)
    client.post("/register/", {"card_number": card.number, "activation_code": CODE})

    refused = client.post("/register/details/", {**DETAILS, "terms_and_privacy": "", "sms": "on",
                                                 "email": "not an address"})

    page = refused.content.decode()
    assert refused.status_code == 200 and _holder(alice, card.number) is None and mailoutbox == []
    assert "Please agree to the terms and the privacy notice." in page
    assert "Please enter a valid e-mail address, such as name@example.de." in page
    assert 'value="not an address"' in page and is_ticked(page, "sms")
    # The cursor goes to the first field to correct.
    assert "autofocus" in input_tag(page, "email") and "autofocus" not in input_tag(page, "first_name")
    with schema_context("alice"):
        assert not Consent.objects.exists() and not AuditLog.objects.filter(actor_label="portal").exists()


def test_the_consents_show_their_current_wording_unticked_with_a_link_to_the_privacy_notice(
        alice, visitor, blank_card):
    with schema_context("alice"):
        ConsentWording.objects.create(purpose="newsletter", version=2, text_de="Neu: Newsletter jede Woche.",
                                      text_en="New: a newsletter every week.")
    card = blank_card(alice)
    client = visitor(alice)
    client.post("/register/", {"card_number": card.number, "activation_code": CODE})

    page = client.get("/register/details/").content.decode()

    assert "New: a newsletter every week." in page and 'name="version__newsletter" value="2"' in page
    assert "terms of participation and have read the privacy notice." in page
    assert 'href="/datenschutz/"' in page
    assert not any(is_ticked(page, purpose) for purpose in ("newsletter", "sms", "analysis"))


def test_a_wording_changed_meanwhile_is_shown_again_and_nothing_is_registered(alice, visitor, blank_card):
    card = blank_card(alice)
    client = visitor(alice)
    client.post("/register/", {"card_number": card.number, "activation_code": CODE})
    client.get("/register/details/")
    with schema_context("alice"):
        ConsentWording.objects.create(purpose="terms_and_privacy", version=2, text_de="Neue Bedingungen.",
                                      text_en="New terms of participation.")

    again = client.post("/register/details/", {**DETAILS, "newsletter": "on"})

    page = again.content.decode()
    assert again.status_code == 200 and _holder(alice, card.number) is None
    assert "New terms of participation." in page and 'name="version__terms_and_privacy" value="2"' in page
    assert "This text has changed since the page was opened." in page
    assert not is_ticked(page, "terms_and_privacy") and 'aria-invalid="true"' in input_tag(page, "terms_and_privacy")
    assert 'value="Hanna"' in page and is_ticked(page, "newsletter")

    client.post("/register/details/", {**DETAILS, "newsletter": "on", "version__terms_and_privacy": "2"})

    assert _consents(alice, _holder(alice, card.number)) == [
        ("newsletter", True, "portal", "1"), ("terms_and_privacy", True, "portal", "2")]


def test_the_card_of_the_first_step_is_kept_in_the_session_not_in_the_form(alice, visitor, blank_card):
    mine, other = blank_card(alice), blank_card(alice, code="ZZZZ2222")
    client = visitor(alice)
    client.post("/register/", {"card_number": mine.number, "activation_code": CODE})

    client.post("/register/details/", {**DETAILS, "card_number": other.number, "number": other.number})

    assert _holder(alice, mine.number).first_name == "Hanna" and _holder(alice, other.number) is None


def test_the_details_step_needs_a_right_code_first(alice, visitor):
    client = visitor(alice)

    assert client.get("/register/details/")["Location"] == "/register/"
    assert client.post("/register/details/", DETAILS)["Location"] == "/register/"
    assert client.get("/register/sent/")["Location"] == "/register/"
    with schema_context("alice"):
        assert not Cardholder.objects.exists()


def test_a_right_code_waits_half_an_hour_for_the_details(alice, visitor, blank_card):
    card = blank_card(alice)
    client = visitor(alice)
    client.post("/register/", {"card_number": card.number, "activation_code": CODE})
    with schema_context("alice"):
        session = SessionStore(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value)
        session["portal_registration"] = {**session["portal_registration"],
                                          "at": time.time() - REGISTRATION_MAX_AGE - 1}
        session.save()

    assert client.post("/register/details/", DETAILS)["Location"] == "/register/"
    assert _holder(alice, card.number) is None


def test_a_card_registered_at_the_till_meanwhile_is_refused_at_the_second_step(
        alice, visitor, blank_card, holder_of):
    card = blank_card(alice)
    client = visitor(alice)
    client.post("/register/", {"card_number": card.number, "activation_code": CODE})
    with schema_context("alice"):
        other = holder_of(alice, first_name="Schnell").cardholder
        Card.objects.filter(pk=card.pk).update(cardholder=other, status=Card.Status.ACTIVE)

    refused = client.post("/register/details/", DETAILS, follow=True)

    assert refused.redirect_chain[-1][0] == "/register/"
    assert "This card cannot be registered any more." in refused.content.decode()
    assert _holder(alice, card.number).first_name == "Schnell"


def test_an_address_in_use_is_not_revealed_and_its_owner_is_told_how_to_sign_in(
        alice, visitor, blank_card, holder_of, mailoutbox, django_capture_on_commit_callbacks):
    owner = holder_of(alice, first_name="Erika", email="Hanna@Example.de").cardholder
    fresh, taken = blank_card(alice), blank_card(alice, code="ZZZZ2222")

    with django_capture_on_commit_callbacks(execute=True):
        new = register(visitor(alice), fresh.number, email="new@example.de")
    with django_capture_on_commit_callbacks(execute=True):
        used = register(visitor(alice), taken.number, "ZZZZ2222")

    assert new.status_code == used.status_code == 302 and new["Location"] == used["Location"] == "/register/sent/"
    assert _holder(alice, taken.number) is None
    [warning] = mails_to("Hanna@Example.de")
    assert "Jemand wollte eine Karte" in warning.subject and warning.body.startswith("Hallo Erika,")  # her language
    assert link_path(warning, "/sign-in/") == "/sign-in/" and "/confirm/" not in warning.body
    with schema_context("alice"):
        entry = AuditLog.objects.get(action="portal.register_email_in_use")
        assert entry.object_id == str(owner.pk) and "Hanna" not in str(entry.data)


def test_send_again_sends_the_same_kind_of_mail_and_is_throttled(
        alice, visitor, blank_card, holder_of, mailoutbox, django_capture_on_commit_callbacks):
    holder_of(alice, first_name="Erika", email="taken@example.de")
    fresh, taken = blank_card(alice), blank_card(alice, code="ZZZZ2222")
    new_client, used_client = visitor(alice), visitor(alice, REMOTE_ADDR="10.0.0.2")
    with django_capture_on_commit_callbacks(execute=True):
        register(new_client, fresh.number, email="new@example.de")
        register(used_client, taken.number, "ZZZZ2222", email="taken@example.de")
    mailoutbox.clear()

    answers = []
    with django_capture_on_commit_callbacks(execute=True):
        for _attempt in range(5):
            answers.append((new_client.post("/register/sent/").status_code,
                            used_client.post("/register/sent/").status_code))

    # Registering counted one e-mail already: four more, then a pause for both alike.
    assert answers == [(302, 302)] * 4 + [(429, 429)]
    assert len(mails_to("new@example.de")) == 4 and len(mails_to("taken@example.de")) == 4
    assert all("/confirm/" in message.body for message in mails_to("new@example.de"))
    assert all("/confirm/" not in message.body for message in mails_to("taken@example.de"))
    paused = new_client.post("/register/sent/")
    assert "Too many e-mails were asked for." in paused.content.decode() and int(paused["Retry-After"]) > 0


def test_a_typo_in_the_address_can_be_corrected_before_confirming(
        alice, visitor, blank_card, mailoutbox, django_capture_on_commit_callbacks):
    card = blank_card(alice)
    client = visitor(alice)
    with django_capture_on_commit_callbacks(execute=True):
        register(client, card.number, email="hanna@exmaple.de")
        corrected = client.post("/register/sent/", {"action": "correct", "email": "hanna@example.de"})

    assert corrected["Location"] == "/register/sent/"
    assert _holder(alice, card.number).email == "hanna@example.de"
    [message] = mails_to("hanna@example.de")
    assert "hanna@example.de" in client.get("/register/sent/").content.decode()
    # The link to the mistyped address no longer confirms anything.
    [typo] = mails_to("hanna@exmaple.de")
    assert client.post(link_path(typo, "/confirm/")).status_code == 404
    assert client.post(link_path(message, "/confirm/"))["Location"] == "/card/"


def test_correcting_the_address_of_a_registration_whose_address_was_in_use_registers_the_card(
        alice, visitor, blank_card, holder_of, mailoutbox, django_capture_on_commit_callbacks):
    holder_of(alice, email="hanna@example.de")
    card = blank_card(alice)
    client = visitor(alice)
    with django_capture_on_commit_callbacks(execute=True):
        register(client, card.number, newsletter="on")
        client.post("/register/sent/", {"action": "correct", "email": "hanna.huber@example.de"})

    holder = _holder(alice, card.number)
    assert holder.email == "hanna.huber@example.de" and holder.first_name == "Hanna"
    assert _consents(alice, holder) == [("newsletter", True, "portal", "1"), ("terms_and_privacy", True, "portal", "1")]
    assert len(mails_to("hanna.huber@example.de")) == 1


def test_a_wrong_correction_keeps_what_was_typed(alice, visitor, blank_card):
    card = blank_card(alice)
    client = visitor(alice)
    register(client, card.number)

    refused = client.post("/register/sent/", {"action": "correct", "email": "hanna@"})

    assert refused.status_code == 200 and 'value="hanna@"' in refused.content.decode()
    assert _holder(alice, card.number).email == "hanna@example.de"


def test_no_card_is_registered_after_the_contract_ended(alice, visitor, blank_card):
    card = blank_card(alice)
    alice.contract_status = "ended"
    alice.save(update_fields=["contract_status"])

    page = visitor(alice).get("/register/")
    refused = visitor(alice).post("/register/", {"card_number": card.number, "activation_code": CODE})

    assert "no more cards can be registered" in page.content.decode() and refused.status_code == 403
    assert _holder(alice, card.number) is None


def test_a_signed_in_person_registering_another_card_gets_a_new_registration_of_it(
        alice, blank_card, holder_of):
    person = holder_of(alice, email="erika@example.de").cardholder
    card = blank_card(alice)
    client = portal_signed_in(alice, person)

    assert register(client, card.number, email="hanna@example.de")["Location"] == "/register/sent/"
    assert _holder(alice, card.number).pk != person.pk


def test_a_blocked_card_with_the_right_code_is_refused_like_a_wrong_code(alice, visitor):
    with schema_context("alice"):
        card = CardFactory(status=Card.Status.BLOCKED, activation_code=CODE)

    refused = visitor(alice).post("/register/", {"card_number": card.number, "activation_code": CODE})

    assert refused.status_code == 200
    assert "The card number or the activation code is not right." in refused.content.decode()
