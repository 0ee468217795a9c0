"""Stripe at the HTTP boundary: customers, payment intents and webhook signatures. The rest of
billing talks to Stripe only through these functions."""
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
        "payment_method_types": [payment_method_type], "description": description,
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


def payment_intent_confirm(*, intent_id: str, payment_method_id: str,
                           idempotency_key: str) -> IntentResult:
    params = {"off_session": True}
    if payment_method_id:
        params["payment_method"] = payment_method_id
    try:
        intent = _client().v1.payment_intents.confirm(
            intent_id, params=params, options={"idempotency_key": idempotency_key}
        )
    except stripe.CardError as error:
        raise _declined(error, fallback_intent_id=intent_id) from error
    return IntentResult(id=intent.id, status=intent.status)


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
