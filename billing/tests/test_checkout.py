"""Setting up the merchant's payment method on Stripe's page (Checkout in setup mode), started by
its owner in the back office or by the operator in the console, and recorded by the webhook: once,
for the merchant the customer and its metadata both name."""
import datetime

import pytest
from django_tenants.utils import schema_context

from billing.models import BillingAccount, StripeEvent
from hq.models import OperatorAuditLog
from loyalty.roles import BUILT_IN_ROLES, CASHIER, MANAGER, role_group
from tenants.accounts.models import User
from tests.support.baseline import PASSWORD, owner_email
from tests.support.clients import operator_sign_in

pytestmark = pytest.mark.django_db

BILLING_PAGE = "http://alice.stammkunde.localhost/manage/billing/"


@pytest.fixture
def owner(alice, host_client):
    client = host_client(alice)
    assert client.post("/manage/login/", {"username": owner_email("alice"), "password": PASSWORD}).status_code == 302
    return client


def _audit(action: str) -> list[OperatorAuditLog]:
    return list(OperatorAuditLog.objects.filter(action=action).order_by("pk"))


def _started(owner, payment_method_type="sepa_debit", **extra):
    return owner.post("/manage/billing/payment-method/", {"payment_method_type": payment_method_type}, **extra)


def test_the_owner_is_sent_to_stripes_page_with_a_303(alice, billable, owner, fake_stripe):
    billable(alice)

    response = _started(owner, HTTP_ACCEPT_LANGUAGE="de")

    [session] = fake_stripe.sessions.values()
    assert response.status_code == 303
    assert response["Location"] == session["url"]
    [customer] = fake_stripe.customers.values()
    [create] = fake_stripe.requests_to("POST", "/v1/checkout/sessions")
    assert create.params == {
        "mode": "setup", "currency": "eur", "customer": customer["id"],
        "allowed_payment_method_types[0]": "sepa_debit",
        "success_url": f"{BILLING_PAGE}?checkout=done", "cancel_url": f"{BILLING_PAGE}?checkout=cancelled",
        "locale": "de", "client_reference_id": str(alice.pk), "metadata[merchant_id]": str(alice.pk),
        "setup_intent_data[metadata][merchant_id]": str(alice.pk),
    }
    account = BillingAccount.objects.get(merchant=alice)
    assert (account.stripe_customer_id, account.has_payment_method) == (customer["id"], False)
    assert account.checkout_started_at is not None
    [started] = _audit("billing.checkout_start")
    assert (started.merchant, started.actor_label, started.after) == (
        alice, f"owner:{owner_email('alice')}", {"session": session["id"], "payment_method_type": "sepa_debit"})


def test_a_second_start_reuses_the_customer(alice, billable, owner, fake_stripe):
    billable(alice)

    _started(owner)
    _started(owner, "card")

    assert len(fake_stripe.requests_to("POST", "/v1/customers")) == 1
    assert [s["allowed_payment_method_types"] for s in fake_stripe.sessions.values()] == [["sepa_debit"], ["card"]]


@pytest.mark.parametrize("choice", ["", "paypal", "card\x00", "sepa_debit'--"])
def test_an_unknown_kind_of_method_starts_nothing(alice, billable, owner, fake_stripe, choice):
    billable(alice)

    response = _started(owner, choice)

    assert (response.status_code, response["Location"]) == (302, "/manage/billing/")
    assert fake_stripe.requests == []
    assert _audit("billing.checkout_start") == [] and not BillingAccount.objects.exists()


def test_without_stripe_configured_the_owner_is_told_and_nothing_is_written(alice, billable, owner, settings):
    billable(alice)
    settings.STRIPE_SECRET_KEY = ""

    response = _started(owner, follow=True, HTTP_ACCEPT_LANGUAGE="en")

    assert "Payments through Stripe are not configured." in response.content.decode()
    assert not BillingAccount.objects.exists() and _audit("billing.checkout_start") == []


def test_when_stripe_cannot_be_reached_the_owner_is_told_and_nothing_is_kept(alice, billable, owner, fake_stripe,
                                                                             settings):
    billable(alice)
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens on the discard port

    response = _started(owner, follow=True, HTTP_ACCEPT_LANGUAGE="en")

    assert response.redirect_chain == [("/manage/billing/", 302)]
    assert "Stripe cannot be reached right now" in response.content.decode()
    assert not BillingAccount.objects.exists()
    assert OperatorAuditLog.objects.filter(action__startswith="billing.").count() == 0


@pytest.mark.parametrize("role", [MANAGER, CASHIER])
def test_managers_and_cashiers_get_403_and_start_nothing(alice, billable, host_client, fake_stripe, role):
    billable(alice)
    with schema_context("alice"):
        person = User.objects.create_user(f"{role}@alice.example", PASSWORD)
        person.groups.add(role_group(BUILT_IN_ROLES[role]))
    client = host_client(alice)
    assert client.post("/manage/login/", {"username": person.email, "password": PASSWORD}).status_code == 302

    assert client.get("/manage/billing/").status_code == 403
    assert _started(client).status_code == 403
    assert fake_stripe.requests == [] and not BillingAccount.objects.exists()


def test_the_operator_starts_it_from_the_console_and_comes_back_there(alice, billable, operator_client, fake_stripe):
    billable(alice)
    operator_sign_in(operator_client)

    response = operator_client.post(f"/billing/merchants/{alice.pk}/payment-method/",
                                    {"payment_method_type": "card"})

    [session] = fake_stripe.sessions.values()
    assert (response.status_code, response["Location"]) == (303, session["url"])
    page = f"http://stammkunde.localhost/merchants/{alice.pk}/"
    assert (session["success_url"], session["cancel_url"]) == (
        f"{page}?checkout=done#payment-method", f"{page}?checkout=cancelled#payment-method")
    assert session["metadata"] == {"merchant_id": str(alice.pk)}
    [started] = _audit("billing.checkout_start")
    assert started.actor.email == "operator@stammkunde.localhost"


def test_the_console_start_is_for_signed_in_staff_only(alice, billable, operator_client, fake_stripe):
    billable(alice)

    response = operator_client.post(f"/billing/merchants/{alice.pk}/payment-method/", {"payment_method_type": "card"})

    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert fake_stripe.requests == []


# --- the webhook ---------------------------------------------------------------------------------

@pytest.fixture
def checkout(alice, billable, owner, fake_stripe):
    """`checkout(kind)`: alice's owner has started a set-up of that kind; returns Stripe's session."""

    def start(kind="sepa_debit", merchant_owner=owner):
        billable(alice) if not hasattr(alice, "company") else None
        _started(merchant_owner, kind)
        return list(fake_stripe.sessions.values())[-1]

    return start


def test_a_completed_sepa_checkout_records_the_mandate(alice, checkout, fake_stripe, deliver_webhook, owner):
    session = checkout("sepa_debit")
    before = owner.get("/manage/billing/?checkout=done", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    response = deliver_webhook(fake_stripe.complete_checkout(session["id"], last4="3000"))

    assert response.status_code == 200
    account = BillingAccount.objects.get(merchant=alice)
    [setup_intent] = fake_stripe.setup_intents.values()
    assert (account.payment_method_type, account.default_payment_method_id, account.setup_intent_id) == (
        "sepa_debit", setup_intent["payment_method"], setup_intent["id"])
    assert (account.payment_method_last4, account.sepa_bank_code, account.sepa_country,
            account.sepa_mandate_reference) == ("3000", "37040044", "DE", "STAMMKUNDE-MANDAT-0001")
    assert account.payment_method_set_up_at == datetime.datetime.fromtimestamp(setup_intent["created"], tz=datetime.UTC)
    [recorded] = _audit("billing.payment_method")
    assert (recorded.actor_label, recorded.merchant, recorded.after["payment_method_last4"]) == (
        "system:stripe-checkout", alice, "3000")
    [retrieve] = fake_stripe.requests_to("GET", f"/v1/setup_intents/{setup_intent['id']}")
    assert retrieve.params == {"expand[0]": "payment_method", "expand[1]": "mandate"}
    # Back from Stripe: "being confirmed" until the webhook is in, then what is on file.
    assert "Confirming the payment method…" in before
    after = owner.get("/manage/billing/?checkout=done", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Confirming the payment method…" not in after and "The payment method is set up." in after
    assert "IBAN DE•• •••• 3000" in after and "STAMMKUNDE-MANDAT-0001" in after


def test_a_card_recorded_from_setup_intent_succeeded_alone(alice, checkout, fake_stripe, deliver_webhook, owner):
    session = checkout("card")
    fake_stripe.complete_checkout(session["id"], last4="4242", card_brand="mastercard")
    [setup_intent_id] = fake_stripe.setup_intents

    assert deliver_webhook(fake_stripe.setup_intent_event(setup_intent_id)).status_code == 200

    account = BillingAccount.objects.get(merchant=alice)
    assert (account.payment_method_type, account.card_brand, account.payment_method_last4,
            account.card_exp_month, account.card_exp_year, account.sepa_mandate_reference) == (
        "card", "mastercard", "4242", 8, 2029, "")
    page = owner.get("/manage/billing/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Mastercard •••• 4242" in page and "08/2029" in page


def test_a_payment_method_and_mandate_that_come_back_unexpanded_are_fetched(
        alice, checkout, fake_stripe, deliver_webhook):
    completed = fake_stripe.complete_checkout(checkout("sepa_debit")["id"], last4="1881",
                                              mandate_reference="MANDAT-UNEXPANDED")
    fake_stripe.expands = False

    deliver_webhook(completed)

    [method_id], [mandate_id] = fake_stripe.payment_methods, fake_stripe.mandates
    assert len(fake_stripe.requests_to("GET", f"/v1/payment_methods/{method_id}")) == 1
    assert len(fake_stripe.requests_to("GET", f"/v1/mandates/{mandate_id}")) == 1
    account = BillingAccount.objects.get(merchant=alice)
    assert (account.default_payment_method_id, account.payment_method_last4, account.sepa_mandate_reference) == (
        method_id, "1881", "MANDAT-UNEXPANDED")


def test_both_events_and_a_redelivery_record_the_method_once(alice, checkout, fake_stripe, deliver_webhook):
    session = checkout("sepa_debit")
    completed = fake_stripe.complete_checkout(session["id"], event_id="evt_completed")
    [setup_intent_id] = fake_stripe.setup_intents
    deliver_webhook(completed)
    requests_after_first = len(fake_stripe.requests)

    responses = [deliver_webhook(completed),
                 deliver_webhook(fake_stripe.setup_intent_event(setup_intent_id, event_id="evt_setup"))]

    assert [r.status_code for r in responses] == [200, 200]
    assert len(fake_stripe.requests) == requests_after_first  # not even asked again
    assert len(_audit("billing.payment_method")) == 1
    assert sorted(StripeEvent.objects.values_list("event_id", flat=True)) == ["evt_completed", "evt_setup"]


def test_an_event_naming_another_merchants_customer_changes_no_ones_method(
        alice, bob, billable, checkout, fake_stripe, deliver_webhook, host_client):
    billable(bob)
    bobs_owner = host_client(bob)
    bobs_owner.post("/manage/login/", {"username": owner_email("bob"), "password": PASSWORD})
    alices = checkout("sepa_debit")
    bobs = checkout("card", merchant_owner=bobs_owner)
    fake_stripe.complete_checkout(alices["id"])
    fake_stripe.complete_checkout(bobs["id"])
    alices_intent, bobs_intent = fake_stripe.setup_intents.values()
    # Signed by Stripe, but pairing bob's customer with alice's id, and alice's customer with bob's set-up.
    forged = [
        {**alices, "id": "cs_forged_1", "customer": bobs["customer"]},
        {**bobs, "id": "cs_forged_2", "metadata": {"merchant_id": str(alice.pk)}},
        {**alices, "id": "cs_forged_3", "setup_intent": bobs_intent["id"]},
    ]
    from tests.support.fake_stripe import webhook_event

    for number, session in enumerate(forged):
        assert deliver_webhook(webhook_event("checkout.session.completed", session,
                                             event_id=f"evt_forged_{number}")).status_code == 200

    assert [a.has_payment_method for a in BillingAccount.objects.order_by("merchant__schema_name")] == [False, False]
    assert _audit("billing.payment_method") == []
    assert fake_stripe.requests_to("GET", f"/v1/setup_intents/{alices_intent['id']}") == []


def test_a_late_report_of_an_older_set_up_keeps_the_newer_method(alice, checkout, fake_stripe, deliver_webhook):
    older = fake_stripe.complete_checkout(checkout("card")["id"], event_id="evt_older")
    older_intent = list(fake_stripe.setup_intents.values())[-1]
    older_intent["created"] -= 3600
    newer = fake_stripe.complete_checkout(checkout("sepa_debit")["id"], event_id="evt_newer")

    deliver_webhook(newer)
    deliver_webhook(older)

    account = BillingAccount.objects.get(merchant=alice)
    assert account.payment_method_type == "sepa_debit"
    assert len(_audit("billing.payment_method")) == 1


def test_a_set_up_not_yet_succeeded_is_not_recorded(alice, checkout, fake_stripe, deliver_webhook):
    completed = fake_stripe.complete_checkout(checkout("sepa_debit")["id"])
    [intent] = fake_stripe.setup_intents.values()
    intent["status"] = "processing"

    deliver_webhook(completed)

    assert not BillingAccount.objects.get(merchant=alice).has_payment_method
    assert _audit("billing.payment_method") == []


def test_a_payment_mode_session_is_not_ours_to_record(alice, checkout, fake_stripe, deliver_webhook):
    session = checkout("card")
    from tests.support.fake_stripe import webhook_event

    deliver_webhook(webhook_event("checkout.session.completed", {**session, "mode": "payment"}))

    assert not BillingAccount.objects.get(merchant=alice).has_payment_method
    assert fake_stripe.requests_to("GET", "/v1/setup_intents/") == [] and _audit("billing.payment_method") == []


def test_when_stripe_is_away_the_event_is_not_kept_so_stripe_sends_it_again(
        alice, checkout, fake_stripe, deliver_webhook, settings):
    completed = fake_stripe.complete_checkout(checkout("card")["id"])
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"

    response = deliver_webhook(completed)

    assert response.status_code == 503
    assert not StripeEvent.objects.exists()
    assert not BillingAccount.objects.get(merchant=alice).has_payment_method
