"""The actions on a person's page: edit their data, block a card, replace it with a blank one,
correct a balance with a reason, issue a voucher, write down a consent. Each one is audited, and
refused (403, nothing written) for someone whose role does not allow it; the services refuse too."""
import re

import pytest

from loyalty.actors import Actor
from loyalty.errors import NotPermitted
from loyalty.models import Account, AuditLog, Booking, Card, Consent, LedgerEntry, Terminal
from loyalty.services import bookings
from loyalty.services.cardholders import cardholder_update, consent_record_in_back_office
from loyalty.services.cards import card_block, card_replace
from loyalty.tests.cardholders.conftest import register, signed_in, staff_with
from tests.support.factories import CardFactory

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")


def key_of(response) -> str:
    return re.search(r'name="idempotency_key" value="([0-9a-f]+)"', response.content.decode())[1]


def written() -> tuple:
    """Everything an action could write."""
    return (Booking.objects.count(), LedgerEntry.objects.count(), AuditLog.objects.count(), Consent.objects.count(),
            list(Card.objects.order_by("pk").values_list("status", flat=True)))


# --- Edit ----------------------------------------------------------------------------------------

def test_the_owner_edits_the_data_and_the_audit_names_the_fields_changed_not_their_values(owner_client, mueller, owner):
    path = f"/manage/cardholders/{mueller.cardholder_id}/edit/"
    form = owner_client.get(path).content.decode()
    assert 'value="Müller"' in form and 'value="juergen.mueller@example.com"' in form

    response = owner_client.post(path, {"first_name": "Jürgen", "last_name": "Müller-Lüdenscheidt",
                                        "email": "jm@example.com", "phone": "0171 2345678", "birth_date": "07.04.1961",
                                        "postcode": "12345", "gender": "m", "language": "de"})

    assert response.status_code == 302 and response["Location"] == f"/manage/cardholders/{mueller.cardholder_id}/"
    holder = mueller.cardholder
    holder.refresh_from_db()
    assert (holder.last_name, holder.email, str(holder.birth_date), holder.postcode) == (
        "Müller-Lüdenscheidt", "jm@example.com", "1961-04-07", "12345")
    entry = AuditLog.objects.get(action="cardholder.update")
    assert entry.actor_user == owner and entry.address == "127.0.0.1"
    assert entry.data == {"fields": ["birth_date", "email", "gender", "last_name", "postcode"]}
    assert "Lüdenscheidt" not in str(entry.data) and "jm@example.com" not in str(entry.data)
    # The search follows the new name and e-mail.
    assert owner_client.get("/manage/cardholders/", {"q": "lüdensch"}).context["rows"][0]["cardholder"] == holder
    assert owner_client.get("/manage/cardholders/", {"q": "jm@example.com"}).context["rows"][0]["cardholder"] == holder


def test_a_wrong_entry_is_explained_and_what_was_typed_stays(owner_client, mueller):
    before = written()

    response = owner_client.post(f"/manage/cardholders/{mueller.cardholder_id}/edit/", {
        "first_name": "Jürgen", "last_name": "Neuname", "email": "not-an-address", "phone": "call me",
        "birth_date": "31.02.1961", "language": "de"})

    page = response.content.decode()
    assert response.status_code == 200
    for message in ("Please enter an e-mail address like anna@example.com.",
                    "Please enter a phone number with digits only, like 0171 1234567.",
                    "Please enter a date like 31.12.1980."):
        assert message in page
    assert 'value="Neuname"' in page and 'value="not-an-address"' in page and 'value="31.02.1961"' in page
    mueller.cardholder.refresh_from_db()
    assert mueller.cardholder.last_name == "Müller" and written() == before


def test_saving_without_a_change_writes_nothing(owner_client, mueller):
    before = written()
    data = {"first_name": "Jürgen", "last_name": "Müller", "email": "juergen.mueller@example.com",
            "phone": "0171 2345678", "language": "de"}

    assert owner_client.post(f"/manage/cardholders/{mueller.cardholder_id}/edit/", data).status_code == 302
    assert written() == before


# --- Refusals -------------------------------------------------------------------------------------

@pytest.fixture
def full_shop(in_alice, mueller, points, voucher):
    bookings.booking_earn(card_number=mueller.number, program=points, purchase_amount_cents=5_000,
                          idempotency_key="shop-1", actor=SYSTEM)
    return mueller, CardFactory(status=Card.Status.UNISSUED)


def test_someone_who_may_only_look_is_refused_every_action_and_nothing_is_written(viewer_client, full_shop, points,
                                                                                  voucher):
    card, blank = full_shop
    base = f"/manage/cardholders/{card.cardholder_id}"
    before = written()
    calls = [
        ("GET", f"{base}/edit/", {}), ("POST", f"{base}/edit/", {"first_name": "X", "language": "de"}),
        ("GET", f"{base}/cards/{card.number}/block/", {}), ("POST", f"{base}/cards/{card.number}/block/", {}),
        ("GET", f"{base}/cards/{card.number}/replace/", {}),
        ("POST", f"{base}/cards/{card.number}/replace/", {"new_card_number": blank.number, "idempotency_key": "k1",
                                                          "confirm": "1"}),
        ("GET", f"{base}/programs/{points.pk}/adjust/", {}),
        ("POST", f"{base}/programs/{points.pk}/adjust/", {"card": card.number, "direction": "add", "amount": "5",
                                                         "reason": "Test", "idempotency_key": "k2"}),
        ("GET", f"{base}/programs/{voucher.pk}/voucher/", {}),
        ("POST", f"{base}/programs/{voucher.pk}/voucher/", {"card": card.number, "amount": "25",
                                                          "idempotency_key": "k3"}),
        ("GET", f"{base}/consents/", {}),
        ("POST", f"{base}/consents/", {"purpose": "newsletter", "granted": "yes"}),
    ]

    for method, path, data in calls:
        response = viewer_client.get(path) if method == "GET" else viewer_client.post(path, data)
        assert response.status_code == 403, (method, path, response.status_code)
        assert "Your role does not allow this." in response.content.decode()
    assert written() == before
    page = viewer_client.get(f"{base}/").content.decode()
    for link in ("/edit/", "/block/", "/replace/", "/adjust/", "/voucher/", "/consents/"):
        assert link not in page


def test_the_services_refuse_a_person_without_the_permission_and_a_device_alone(full_shop, viewer, points, voucher):
    card, blank = full_shop
    till_alone = Actor(terminal=Terminal(name="Kasse"))  # a device signing for no one
    before = written()
    for actor in (Actor(user=viewer), till_alone):
        refused = [
            lambda a=actor: cardholder_update(cardholder=card.cardholder, actor=a, first_name="X"),
            lambda a=actor: card_block(card_number=card.number, actor=a),
            lambda a=actor: card_replace(old_card_number=card.number, new_card_number=blank.number,
                                         idempotency_key="r", actor=a),
            lambda a=actor: bookings.booking_adjust(card_number=card.number, program=points, amount=5,
                                                    reason="x", idempotency_key="a", actor=a),
            lambda a=actor: consent_record_in_back_office(cardholder=card.cardholder, purpose="sms", granted=True,
                                                          actor=a),
        ]
        for write in refused:
            with pytest.raises(NotPermitted):
                write()
    with pytest.raises(NotPermitted):
        bookings.booking_voucher_issue(card_number=card.number, program=voucher, idempotency_key="v",
                                       actor=Actor(user=viewer))
    assert written() == before


def test_a_manager_may_edit_block_and_correct_balances(alice, full_shop, manager, points):
    card, _blank = full_shop
    client = signed_in(alice, manager.email)
    base = f"/manage/cardholders/{card.cardholder_id}"

    page = client.get(f"{base}/").content.decode()
    answer = client.post(f"{base}/programs/{points.pk}/adjust/", {
        "card": card.number, "direction": "add", "amount": "5", "reason": "Test", "idempotency_key": "m1"})

    assert "/edit/" in page and "/block/" in page and "/adjust/" in page
    assert answer.status_code == 302
    assert Booking.objects.get(kind="adjustment").staff_user == manager


# --- Cards ---------------------------------------------------------------------------------------

def test_blocking_asks_first_then_blocks_and_is_audited(owner_client, mueller, owner):
    path = f"/manage/cardholders/{mueller.cardholder_id}/cards/{mueller.number}/block/"

    question = owner_client.get(path)
    mueller.refresh_from_db()
    assert "a block cannot be lifted" in question.content.decode() and mueller.status == "active"

    response = owner_client.post(path, {"reason": "verloren"})

    assert response.status_code == 302
    mueller.refresh_from_db()
    assert mueller.status == Card.Status.BLOCKED
    entry = AuditLog.objects.get(action="card.block")
    assert entry.actor_user == owner and entry.data == {"reason": "verloren"} and entry.object_id == str(mueller.pk)
    # A blocked card is blocked once: the page offers it no more, the action refuses it.
    assert "/block/" not in owner_client.get(f"/manage/cardholders/{mueller.cardholder_id}/").content.decode()
    again = owner_client.post(path, {})
    assert again.status_code == 409 and AuditLog.objects.filter(action="card.block").count() == 1


def test_a_card_of_another_person_cannot_be_blocked_from_this_persons_page(owner_client, mueller):
    other = register(first_name="Eva")

    response = owner_client.post(f"/manage/cardholders/{mueller.cardholder_id}/cards/{other.number}/block/")

    other.refresh_from_db()
    assert response.status_code == 404 and other.status == "active"


def test_replacing_shows_what_moves_then_moves_it_to_the_blank_card(owner_client, full_shop, points, owner):
    card, blank = full_shop
    path = f"/manage/cardholders/{card.cardholder_id}/cards/{card.number}/replace/"
    key = key_of(owner_client.get(path))

    question = owner_client.post(path, {"new_card_number": f" {blank.number} ", "idempotency_key": key})

    page = question.content.decode()
    assert "This cannot be undone" in page and "Bonuspunkte: 50 points" in page
    blank.refresh_from_db()
    assert blank.status == "unissued" and not Booking.objects.filter(kind="card_replacement").exists()

    done = owner_client.post(path, {"new_card_number": blank.number, "idempotency_key": key, "confirm": "1"})
    twice = owner_client.post(path, {"new_card_number": blank.number, "idempotency_key": key, "confirm": "1"})

    assert done.status_code == twice.status_code == 302
    card.refresh_from_db()
    blank.refresh_from_db()
    assert (card.status, card.replaced_by_id, blank.status, blank.cardholder_id) == (
        "replaced", blank.pk, "active", card.cardholder_id)
    assert Account.objects.get(card=blank, program=points).balance == 50
    assert Booking.objects.filter(kind="card_replacement").count() == 1
    assert AuditLog.objects.get(action="card.replace").actor_user == owner


@pytest.mark.parametrize(("number", "message"), [
    ("1234", "This is not a valid card number: please check the digits."),
    ("self", "a card cannot replace itself."),
    ("active", "the new card must be a blank card that was not issued yet."),
])
def test_replacing_with_a_card_that_cannot_take_over_is_explained_and_changes_nothing(owner_client, full_shop,
                                                                                     number, message):
    card, _blank = full_shop
    number = {"self": card.number, "active": CardFactory().number}.get(number, number)
    before = written()

    response = owner_client.post(f"/manage/cardholders/{card.cardholder_id}/cards/{card.number}/replace/", {
        "new_card_number": number, "idempotency_key": "x", "confirm": "1"})

    assert response.status_code == 200 and message in response.content.decode()
    assert f'value="{number}"' in response.content.decode() and written() == before


# --- Balances ------------------------------------------------------------------------------------

def test_a_correction_of_money_is_typed_in_euros_booked_once_and_audited(owner_client, mueller, prepaid, owner):
    path = f"/manage/cardholders/{mueller.cardholder_id}/programs/{prepaid.pk}/adjust/"
    form = owner_client.get(path)
    assert "Amount (€)" in form.content.decode()
    data = {"card": mueller.number, "direction": "add", "amount": "12,50", "reason": "Gutschein von Hand",
            "idempotency_key": key_of(form)}

    first, second = owner_client.post(path, data), owner_client.post(path, data)

    assert first.status_code == second.status_code == 302
    booking = Booking.objects.get(kind="adjustment")
    assert (booking.reason, booking.staff_user, booking.entries.get().amount) == ("Gutschein von Hand", owner, 1_250)
    assert Account.objects.get(card=mueller, program=prepaid).balance == 1_250
    entry = AuditLog.objects.get(action="booking.adjustment")
    assert entry.data["amount"] == 1_250 and entry.data["reason"] == "Gutschein von Hand"
    detail = owner_client.get(f"/manage/cardholders/{mueller.cardholder_id}/").content.decode()
    assert "Gutschein von Hand" in detail and "+12.50 €" in detail


def test_a_correction_of_points_is_a_whole_number_and_may_take_away(owner_client, mueller, points):
    bookings.booking_earn(card_number=mueller.number, program=points, purchase_amount_cents=2_000,
                          idempotency_key="p", actor=SYSTEM)
    path = f"/manage/cardholders/{mueller.cardholder_id}/programs/{points.pk}/adjust/"
    base = {"card": mueller.number, "direction": "take", "reason": "Doppelt gebucht"}

    fraction = owner_client.post(path, {**base, "amount": "2,5", "idempotency_key": "k1"})
    too_much = owner_client.post(path, {**base, "amount": "50", "idempotency_key": "k2"})
    no_reason = owner_client.post(path, {**base, "amount": "5", "reason": "", "idempotency_key": "k3"})
    taken = owner_client.post(path, {**base, "amount": "5", "idempotency_key": "k4"})

    assert "Please enter a whole number, such as 5." in fraction.content.decode()
    assert "The balance is too low: 20 points available, 50 points requested." in too_much.content.decode()
    assert "Please give a reason for the correction." in no_reason.content.decode()
    assert 'value="Doppelt gebucht"' in too_much.content.decode()  # what was typed stays
    assert taken.status_code == 302
    assert Account.objects.get(card=mueller, program=points).balance == 15
    assert Booking.objects.filter(kind="adjustment").count() == 1


def test_a_voucher_is_issued_once_onto_the_persons_card(owner_client, mueller, voucher, owner):
    path = f"/manage/cardholders/{mueller.cardholder_id}/programs/{voucher.pk}/voucher/"
    form = owner_client.get(path)
    assert 'value="25"' in form.content.decode()  # the program's usual value
    data = {"card": mueller.number, "amount": "25", "idempotency_key": key_of(form)}

    first, second = owner_client.post(path, data), owner_client.post(path, data)

    assert first.status_code == second.status_code == 302
    booking = Booking.objects.get(kind="voucher_issue")
    assert booking.staff_user == owner and booking.entries.get().amount == 2_500
    assert Account.objects.get(card=mueller, program=voucher).balance == 2_500


def test_a_voucher_above_the_plausibility_limit_is_asked_about_first(owner_client, mueller, voucher):
    path = f"/manage/cardholders/{mueller.cardholder_id}/programs/{voucher.pk}/voucher/"
    data = {"card": mueller.number, "amount": "500", "idempotency_key": "big"}

    question = owner_client.post(path, data)

    assert "500.00 € – is the amount right?" in question.content.decode()
    assert not Booking.objects.exists()
    assert owner_client.post(path, {**data, "confirmed": "1"}).status_code == 302
    assert Booking.objects.get().entries.get().amount == 50_000


def test_a_voucher_program_only_and_an_active_card_only(owner_client, mueller, points, voucher):
    assert owner_client.get(f"/manage/cardholders/{mueller.cardholder_id}/programs/{points.pk}/voucher/").status_code == 404
    card_block(card_number=mueller.number, actor=SYSTEM)

    response = owner_client.get(f"/manage/cardholders/{mueller.cardholder_id}/programs/{voucher.pk}/voucher/")

    assert response.status_code == 409 and "no active card" in response.content.decode()


# --- Consents ------------------------------------------------------------------------------------

def test_a_consent_given_on_paper_is_recorded_from_the_back_office(owner_client, mueller, owner):
    response = owner_client.post(f"/manage/cardholders/{mueller.cardholder_id}/consents/", {
        "purpose": "newsletter", "granted": "yes"})

    assert response.status_code == 302
    consent = Consent.objects.get()
    # With the version of the wording asked with now (loyalty/tests/consent_wordings: an earlier one).
    assert (consent.purpose, consent.granted, consent.source, consent.wording_version, consent.actor_user) == (
        "newsletter", True, "back_office", "1", owner)
    assert AuditLog.objects.get(action="cardholder.consent").data == {
        "purpose": "newsletter", "granted": True, "source": "back_office"}
    page = owner_client.get(f"/manage/cardholders/{mueller.cardholder_id}/").content.decode()
    assert "in the back office" in page and "version 1" in page


def test_staff_with_only_the_edit_permission_may_edit_but_not_correct(alice, mueller, points):
    editor = staff_with("editor@alice.example", "loyalty.view_cardholder", "loyalty.change_cardholder")
    client = signed_in(alice, editor.email)

    response = client.post(f"/manage/cardholders/{mueller.cardholder_id}/edit/", {"first_name": "Jörg", "language": "de"})
    refused = client.get(f"/manage/cardholders/{mueller.cardholder_id}/programs/{points.pk}/adjust/")

    mueller.cardholder.refresh_from_db()
    assert response.status_code == 302 and mueller.cardholder.first_name == "Jörg"
    assert refused.status_code == 403
