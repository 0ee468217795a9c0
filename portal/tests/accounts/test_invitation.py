"""Accepting the invitation a till sent: the page shows the card, opening it changes nothing, the
person completes their details, consents and (if they like) a password, and is signed in."""
import pytest
from django.contrib.auth.hashers import check_password
from django.core import signing
from django.utils import timezone
from django_tenants.utils import schema_context

from loyalty.models import AuditLog, Cardholder, Consent, CustomField
from loyalty.services.portal_accounts import INVITATION, _salt, portal_link_token
from portal.tests.accounts.conftest import input_tag, link_path, mails_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def invited(alice, holder_of):
    """Berta got her card at the till with her address, which is not confirmed yet; her link."""
    card = holder_of(alice, first_name="Berta", email="berta@example.org", confirmed=False)
    with schema_context("alice"):
        token = portal_link_token(card.cardholder, INVITATION)
    return card, f"/invitation/{token}/"


def _stored(card) -> Cardholder:
    with schema_context("alice"):
        return Cardholder.objects.get(pk=card.cardholder_id)


def test_the_invitation_shows_the_card_and_opening_it_changes_nothing(alice, visitor, invited):
    card, path = invited

    page = visitor(alice).get(path)

    body = page.content.decode()
    assert page.status_code == 200 and "Welcome, Berta!" in body and card.number in body
    assert 'value="Berta"' in body and 'autocomplete="new-password"' in body
    assert "autofocus" in input_tag(body, "last_name")
    assert _stored(card).email_confirmed_at is None


def test_accepting_without_a_password_confirms_and_signs_in(alice, visitor, invited):
    card, path = invited
    client = visitor(alice)

    accepted = client.post(path, {"first_name": "Berta", "last_name": "Brot"})

    assert accepted["Location"] == "/card/" and client.get("/password/").status_code == 200
    holder = _stored(card)
    assert (holder.last_name, holder.password) == ("Brot", "") and holder.email_confirmed_at is not None
    with schema_context("alice"):
        actions = list(AuditLog.objects.filter(actor_label="portal").order_by("pk").values_list("action", "data"))
    assert actions == [("cardholder.update", {"fields": ["last_name"]}),
                       ("portal.invitation_accept", {"password_set": False}),
                       ("portal.sign_in", {"method": "till_invitation"})]
    # The link works once.
    assert visitor(alice).post(path, {"first_name": "Berta"}).status_code == 404


def test_the_own_fields_of_the_registration_and_the_optional_consents_are_asked(alice, visitor, invited):
    with schema_context("alice"):
        CustomField.objects.create(key="lieblingsbrot", label="Lieblingsbrot", at_registration=True, required=True)
    card, path = invited
    client = visitor(alice)
    page = client.get(path).content.decode()
    assert "Lieblingsbrot" in page and "terms_and_privacy" not in page and 'name="analysis"' in page

    refused = client.post(path, {"first_name": "Berta", "analysis": "on", "version__analysis": "1"})
    assert refused.status_code == 200 and "“Lieblingsbrot” is required." in refused.content.decode()
    assert _stored(card).email_confirmed_at is None

    client.post(path, {"first_name": "Berta", "own__lieblingsbrot": "Roggen", "analysis": "on",
                       "version__analysis": "1"})

    assert _stored(card).custom_data == {"lieblingsbrot": "Roggen"}
    with schema_context("alice"):
        assert list(Consent.objects.filter(cardholder_id=card.cardholder_id, source="portal")
                    .values_list("purpose", "wording_version")) == [("analysis", "1")]


def test_a_weak_password_is_refused_and_what_was_typed_stays(alice, visitor, invited):
    card, path = invited

    refused = visitor(alice).post(path, {"first_name": "Berta", "last_name": "Brot", "password": "1234"})

    body = refused.content.decode()
    assert refused.status_code == 200 and "This password is too short." in body and 'value="Brot"' in body
    assert _stored(card).email_confirmed_at is None and _stored(card).last_name == ""


def test_a_password_given_signs_in_later(alice, visitor, invited):
    card, path = invited
    visitor(alice).post(path, {"first_name": "Berta", "password": "Sauerteig-Brot-2026"})

    assert check_password("Sauerteig-Brot-2026", _stored(card).password)
    with schema_context("alice"):
        assert AuditLog.objects.get(action="portal.invitation_accept").data == {"password_set": True}


def test_a_used_invitation_offers_a_sign_in_link(alice, visitor, invited, mailoutbox,
                                                 django_capture_on_commit_callbacks):
    card, path = invited
    visitor(alice).post(path, {"first_name": "Berta"})

    again = visitor(alice)
    assert again.get(path).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        again.post(path, {"renew": "1"})

    [message] = mails_to("berta@example.org")
    assert again.post(link_path(message, "/sign-in/link/"))["Location"] == "/card/"


def test_an_expired_invitation_sends_a_new_one(alice, visitor, invited, mailoutbox,
                                               django_capture_on_commit_callbacks):
    card, _path = invited
    with schema_context("alice"):
        old = signing.dumps({"c": card.cardholder_id, "k": INVITATION.name, "s": "old"}, salt=_salt(), compress=True)
    client = visitor(alice)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/invitation/{old}/", {"renew": "1"})

    [message] = mails_to("berta@example.org")
    assert client.get(link_path(message, "/invitation/")).status_code == 200


def test_an_anonymised_persons_invitation_is_dead(alice, visitor, invited):
    card, path = invited
    with schema_context("alice"):
        Cardholder.objects.filter(pk=card.cardholder_id).update(anonymised_at=timezone.now())

    assert visitor(alice).get(path).status_code == 404
    assert visitor(alice).post(path, {"first_name": "Berta"}).status_code == 404
