"""Stripe at the HTTP boundary: customers, payment intents, Checkout's set-up of a payment method
and webhook signatures. The rest of billing talks to Stripe only through these functions."""
import datetime
import json
from dataclasses import dataclass

import stripe
from django.conf import settings

WEBHOOK_TOLERANCE_SECONDS = 300


class PaymentDeclined(Exception):
    """Stripe refused the payment at once (e.g. a declined card); the intent stays for a retry."""

    def __init__(self, *, intent_id: str, message: str):
        super().__init__(message)
        self.intent_id = intent_id
        self.message = message


class WebhookEventMalformed(ValueError):
    """A correctly signed body that is not a Stripe event we can read."""


class WebhookSignatureInvalid(Exception):
    pass


@dataclass(frozen=True)
class IntentResult:
    id: str
    status: str  # Stripe's: succeeded, processing, requires_payment_method, ...


# Worth another try later: Stripe or the network was unavailable, not the payment refused.
TRANSIENT_ERRORS = (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError)


def stripe_enabled() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def _client() -> stripe.StripeClient:
    # Built per call so that settings changed at runtime (tests' fake Stripe) take effect.
    base_addresses = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, base_addresses=base_addresses)


def customer_create(*, name: str, email: str, merchant_id: int) -> str:
    customer = _client().v1.customers.create(
        params={"name": name, "email": email, "metadata": {"merchant_id": str(merchant_id)}},
        # Two tasks creating the same merchant's customer at once get one customer.
        options={"idempotency_key": f"customer-{merchant_id}"},
    )
    return customer.id


def _declined(error: stripe.CardError, fallback_intent_id: str = "") -> PaymentDeclined:
    intent = getattr(error.error, "payment_intent", None) if error.error else None
    return PaymentDeclined(
        intent_id=getattr(intent, "id", None) or fallback_intent_id,
        message=error.user_message or str(error),
    )


def payment_intent_create(*, amount_cents: int, customer_id: str, payment_method_id: str,
                          payment_method_type: str, description: str, metadata: dict,
                          idempotency_key: str) -> IntentResult:
    """A euro payment intent, confirmed off-session at once when the customer has a method."""
    params = {
        "amount": amount_cents, "currency": "eur", "customer": customer_id,
        # Since API version 2026-09-30 Stripe refuses payment_method_types with a 400.
        "allowed_payment_method_types": [payment_method_type], "description": description,
        "metadata": metadata,
    }
    if payment_method_id:
        params |= {"payment_method": payment_method_id, "confirm": True, "off_session": True}
    try:
        intent = _client().v1.payment_intents.create(
            params=params, options={"idempotency_key": idempotency_key}
        )
    except stripe.CardError as error:
        raise _declined(error) from error
    return IntentResult(id=intent.id, status=intent.status)


def payment_intent_confirm(*, intent_id: str, payment_method_id: str, payment_method_type: str,
                           idempotency_key: str) -> IntentResult:
    """A retry. The type is given again: the merchant may have replaced a card by a SEPA mandate
    since the intent was made."""
    params = {"off_session": True, "allowed_payment_method_types": [payment_method_type]}
    if payment_method_id:
        params["payment_method"] = payment_method_id
    try:
        intent = _client().v1.payment_intents.confirm(
            intent_id, params=params, options={"idempotency_key": idempotency_key}
        )
    except stripe.CardError as error:
        raise _declined(error, fallback_intent_id=intent_id) from error
    return IntentResult(id=intent.id, status=intent.status)


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str  # Stripe's hosted page


def checkout_setup_session_create(*, customer_id: str, payment_method_type: str, merchant_id: int,
                                  success_url: str, cancel_url: str, locale: str) -> CheckoutSession:
    """A Checkout Session in setup mode: Stripe's page collects a SEPA mandate or a card for later
    payments off-session. The merchant's id rides along on the session and its SetupIntent, so
    that the webhook can check whom the method is for."""
    metadata = {"merchant_id": str(merchant_id)}
    session = _client().v1.checkout.sessions.create(params={
        "mode": "setup", "currency": "eur", "customer": customer_id,
        # Since API version 2026-09-30 a session takes this filter instead of payment_method_types.
        "allowed_payment_method_types": [payment_method_type],
        "success_url": success_url, "cancel_url": cancel_url, "locale": locale,
        "client_reference_id": str(merchant_id), "metadata": metadata,
        "setup_intent_data": {"metadata": metadata},
    })
    return CheckoutSession(id=session.id, url=session.url)


@dataclass(frozen=True)
class PaymentMethodSetUp:
    """A SetupIntent as Stripe has it, with what the merchant may see of its payment method."""

    setup_intent_id: str
    status: str  # Stripe's: succeeded, processing, requires_payment_method, ...
    customer_id: str
    merchant_id: str  # from the metadata we gave it; "" when there is none
    created: datetime.datetime
    payment_method_id: str
    payment_method_type: str
    last4: str = ""
    card_brand: str = ""
    card_exp_month: int | None = None
    card_exp_year: int | None = None
    sepa_bank_code: str = ""
    sepa_country: str = ""
    mandate_reference: str = ""


def _id_of(value) -> str:
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return str(value or "")


def setup_intent_retrieve(*, setup_intent_id: str) -> PaymentMethodSetUp:
    """The SetupIntent with its payment method and mandate (expanded, else fetched)."""
    client = _client()
    intent = client.v1.setup_intents.retrieve(
        setup_intent_id, params={"expand": ["payment_method", "mandate"]}).to_dict()
    method = intent.get("payment_method")
    if isinstance(method, str) and method:
        method = client.v1.payment_methods.retrieve(method).to_dict()
    method = method if isinstance(method, dict) else {}
    method_type = str(method.get("type") or "")
    card = method.get("card") or {} if method_type == "card" else {}
    sepa = method.get("sepa_debit") or {} if method_type == "sepa_debit" else {}
    mandate = intent.get("mandate")
    if isinstance(mandate, str) and mandate:
        mandate = client.v1.mandates.retrieve(mandate).to_dict()
    mandate_details = ((mandate.get("payment_method_details") or {}).get("sepa_debit") or {}
                       if isinstance(mandate, dict) else {})
    return PaymentMethodSetUp(
        setup_intent_id=str(intent["id"]), status=str(intent.get("status") or ""),
        customer_id=_id_of(intent.get("customer")),
        merchant_id=str((intent.get("metadata") or {}).get("merchant_id") or ""),
        created=datetime.datetime.fromtimestamp(int(intent.get("created") or 0), tz=datetime.UTC),
        payment_method_id=str(method.get("id") or ""), payment_method_type=method_type,
        last4=str(card.get("last4") or sepa.get("last4") or "")[:4],
        card_brand=str(card.get("brand") or "")[:20],
        card_exp_month=card.get("exp_month") or None, card_exp_year=card.get("exp_year") or None,
        sepa_bank_code=str(sepa.get("bank_code") or "")[:20], sepa_country=str(sepa.get("country") or "")[:2],
        mandate_reference=str(mandate_details.get("reference") or "")[:100],
    )


def webhook_event_verify(*, payload: bytes, signature: str) -> dict:
    """The event in a webhook body, once its Stripe-Signature proves it came from Stripe."""
    try:
        stripe.WebhookSignature.verify_header(
            payload, signature, settings.STRIPE_WEBHOOK_SECRET, tolerance=WEBHOOK_TOLERANCE_SECONDS
        )
        event = json.loads(payload)
    except (stripe.SignatureVerificationError, ValueError) as error:
        raise WebhookSignatureInvalid(str(error)) from error
    _event_shape_check(event)
    return event


def _text(value, *, longest: int) -> bool:
    return isinstance(value, str) and 0 < len(value) <= longest and value.isprintable()


def _event_shape_check(event) -> None:
    """Refuse a signed body that is not shaped like a Stripe event, before anything uses it: an
    id and a type of bounded length, and `data.object` an object with an id of its own."""
    if not isinstance(event, dict) or not _text(event.get("id"), longest=255) \
            or not _text(event.get("type"), longest=100):
        raise WebhookEventMalformed("an event needs an id and a type")
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict) or not _text(obj.get("id"), longest=255):
        raise WebhookEventMalformed("an event needs data.object with an id")
    for name in ("metadata", "last_payment_error"):
        if obj.get(name) is not None and not isinstance(obj[name], dict):
            raise WebhookEventMalformed(f"data.object.{name} must be an object")
