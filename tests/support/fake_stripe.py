"""A fake Stripe API on 127.0.0.1 for tests: customers, payment intents, Checkout Sessions in setup
mode with their SetupIntents, payment methods and mandates (GET, and expanded on a SetupIntent), form-encoded like the real one,
idempotency keys honoured, every request recorded; a payment made as Stripe's hosted page would
(`complete_checkout`); and webhook signing."""
import hashlib
import hmac
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

WEBHOOK_SECRET = "whsec_fake_stripe_for_tests"


@dataclass
class RecordedRequest:
    method: str
    path: str
    params: dict
    idempotency_key: str | None


@dataclass
class FakeStripe:
    requests: list[RecordedRequest] = field(default_factory=list)
    customers: dict[str, dict] = field(default_factory=dict)
    intents: dict[str, dict] = field(default_factory=dict)
    sessions: dict[str, dict] = field(default_factory=dict)
    setup_intents: dict[str, dict] = field(default_factory=dict)
    payment_methods: dict[str, dict] = field(default_factory=dict)
    mandates: dict[str, dict] = field(default_factory=dict)
    webhook_secret: str = WEBHOOK_SECRET
    # Off: a SetupIntent's payment method comes back as its id even when asked to expand it, so
    # that the caller's own GET /v1/payment_methods/<id> is exercised.
    expands: bool = True

    def __post_init__(self):
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._replies: dict[str, tuple[int, dict]] = {}
        self._failures: list[tuple[str, str]] = []
        self._server: ThreadingHTTPServer | None = None

    # --- the test's side ---------------------------------------------------------------------

    def start(self) -> "FakeStripe":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                fake._handle(self, "GET")

            def do_POST(self):
                fake._handle(self, "POST")

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        serve = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                 daemon=True)
        serve.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def fail_next_confirmation(self, message: str = "Your card was declined.",
                               code: str = "card_declined") -> None:
        """The next confirmation (create with confirm, or confirm) is declined."""
        self._failures.append((code, message))

    def requests_to(self, method: str, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == method and r.path == path]

    def complete_checkout(self, session_id: str, *, event_id: str = "evt_checkout_1", last4: str | None = None,
                          card_brand: str = "visa", bank_code: str = "37040044",
                          mandate_reference: str = "STAMMKUNDE-MANDAT-0001") -> bytes:
        """What Stripe's hosted page does when the customer finishes: a payment method of the
        session's type (a SEPA debit with its mandate, or a card), a succeeded SetupIntent, the
        session complete. Returns the body of the checkout.session.completed webhook."""
        with self._lock:
            session = self.sessions[session_id]
            method_type = session["allowed_payment_method_types"][0]
            method = {"id": f"pm_fake{next(self._ids)}", "object": "payment_method", "type": method_type,
                      "customer": session["customer"]}
            if method_type == "card":
                method["card"] = {"brand": card_brand, "last4": last4 or "4242", "exp_month": 8,
                                  "exp_year": 2029, "country": "DE"}
            else:
                method["sepa_debit"] = {"bank_code": bank_code, "branch_code": "", "country": "DE",
                                        "last4": last4 or "3000", "fingerprint": "fp_fake"}
            self.payment_methods[method["id"]] = method
            intent = {"id": f"seti_fake{next(self._ids)}", "object": "setup_intent", "status": "succeeded",
                      "customer": session["customer"], "payment_method": method["id"], "usage": "off_session",
                      "metadata": dict(session["setup_intent_metadata"]), "created": int(time.time()),
                      "payment_method_types": [method_type], "mandate": None}
            if method_type == "sepa_debit":
                mandate = {"id": f"mandate_fake{next(self._ids)}", "object": "mandate", "status": "active",
                           "payment_method": method["id"], "type": "multi_use",
                           "payment_method_details": {"type": "sepa_debit", "sepa_debit": {
                               "reference": mandate_reference, "url": "https://stripe.example/mandate"}}}
                self.mandates[mandate["id"]] = mandate
                intent["mandate"] = mandate["id"]
            self.setup_intents[intent["id"]] = intent
            session.update(status="complete", setup_intent=intent["id"])
            return webhook_event("checkout.session.completed", dict(session), event_id=event_id)

    def setup_intent_event(self, setup_intent_id: str, event_id: str = "evt_setup_1") -> bytes:
        """The setup_intent.succeeded webhook Stripe sends besides checkout.session.completed."""
        return webhook_event("setup_intent.succeeded", dict(self.setup_intents[setup_intent_id]),
                             event_id=event_id)

    # --- the API -------------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length).decode() if length else ""
        path, _, query = handler.path.partition("?")
        params = dict(parse_qsl(body or query, keep_blank_values=True))
        key = handler.headers.get("Idempotency-Key")
        with self._lock:
            self.requests.append(RecordedRequest(method, path, params, key))
            if key and (method, path, key) in self._replies:
                status, reply = self._replies[(method, path, key)]
            else:
                status, reply = self._route(method, path, params)
                if key:
                    self._replies[(method, path, key)] = (status, reply)
        data = json.dumps(reply).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _route(self, method: str, path: str, params: dict) -> tuple[int, dict]:
        parts = path.strip("/").split("/")
        if method == "POST" and any(key.startswith("payment_method_types[") for key in params):
            # As Stripe since API version 2026-09-30.
            return 400, {"error": {"type": "invalid_request_error", "code": "payment_method_types_no_longer_supported",
                                   "message": "payment_method_types is no longer supported; use "
                                              "allowed_payment_method_types."}}
        if method == "POST" and parts == ["v1", "checkout", "sessions"]:
            return self._session_create(params)
        if method == "GET" and parts[:3] == ["v1", "checkout", "sessions"] and len(parts) == 4:
            session = self.sessions.get(parts[3])
            return (200, session) if session else _missing(parts[3], "checkout.session")
        if method == "GET" and parts[:2] == ["v1", "setup_intents"] and len(parts) == 3:
            return self._setup_intent_get(parts[2], params)
        if method == "GET" and parts[:2] == ["v1", "mandates"] and len(parts) == 3:
            mandate = self.mandates.get(parts[2])
            return (200, mandate) if mandate else _missing(parts[2], "mandate")
        if method == "GET" and parts[:2] == ["v1", "payment_methods"] and len(parts) == 3:
            payment_method = self.payment_methods.get(parts[2])
            return (200, payment_method) if payment_method else _missing(parts[2], "payment_method")
        if method == "POST" and parts == ["v1", "customers"]:
            return self._customer_create(params)
        if method == "POST" and parts == ["v1", "payment_intents"]:
            return self._intent_create(params)
        is_intent = len(parts) >= 3 and parts[:2] == ["v1", "payment_intents"]
        if method == "POST" and is_intent and parts[3:] == ["confirm"]:
            return self._intent_confirm(parts[2], params)
        if method == "GET" and is_intent and len(parts) == 3:
            intent = self.intents.get(parts[2])
            return (200, intent) if intent else _missing(parts[2])
        return 404, {"error": {"type": "invalid_request_error",
                               "message": f"Unrecognized request URL ({method}: {path})"}}

    def _session_create(self, params: dict) -> tuple[int, dict]:
        if params.get("mode") != "setup" or params.get("customer") not in self.customers:
            return 400, {"error": {"type": "invalid_request_error", "message": "This fake makes setup sessions "
                                                                               "for a known customer only."}}
        session_id = f"cs_test_fake{next(self._ids)}"
        session = {
            "id": session_id, "object": "checkout.session", "mode": "setup", "status": "open",
            "customer": params["customer"], "currency": params.get("currency"),
            "allowed_payment_method_types": _listed(params, "allowed_payment_method_types"),
            "success_url": params.get("success_url"), "cancel_url": params.get("cancel_url"),
            "locale": params.get("locale"), "client_reference_id": params.get("client_reference_id"),
            "metadata": _nested(params, "metadata"), "setup_intent": None,
            "setup_intent_metadata": _nested(params, "setup_intent_data[metadata]"),
            "url": f"https://checkout.stripe.example/c/pay/{session_id}",
        }
        self.sessions[session_id] = session
        return 200, session

    def _setup_intent_get(self, setup_intent_id: str, params: dict) -> tuple[int, dict]:
        intent = self.setup_intents.get(setup_intent_id)
        if intent is None:
            return _missing(setup_intent_id, "setup_intent")
        reply = dict(intent)
        expand = _listed(params, "expand") if self.expands else []
        if "payment_method" in expand and reply["payment_method"]:
            reply["payment_method"] = self.payment_methods[reply["payment_method"]]
        if "mandate" in expand and reply["mandate"]:
            reply["mandate"] = self.mandates[reply["mandate"]]
        return 200, reply

    def _customer_create(self, params: dict) -> tuple[int, dict]:
        customer = {
            "id": f"cus_fake{next(self._ids)}", "object": "customer", "name": params.get("name"),
            "email": params.get("email"), "metadata": _nested(params, "metadata"),
        }
        self.customers[customer["id"]] = customer
        return 200, customer

    def _intent_create(self, params: dict) -> tuple[int, dict]:
        intent = {
            "id": f"pi_fake{next(self._ids)}", "object": "payment_intent",
            "amount": int(params["amount"]), "currency": params["currency"],
            "customer": params.get("customer"), "payment_method": params.get("payment_method"),
            "payment_method_types": _listed(params, "allowed_payment_method_types"),
            "metadata": _nested(params, "metadata"), "description": params.get("description"),
            "status": "requires_payment_method", "last_payment_error": None,
        }
        self.intents[intent["id"]] = intent
        if params.get("confirm") == "true":
            return self._confirm(intent)
        if intent["payment_method"]:
            intent["status"] = "requires_confirmation"
        return 200, intent

    def _intent_confirm(self, intent_id: str, params: dict) -> tuple[int, dict]:
        intent = self.intents.get(intent_id)
        if intent is None:
            return _missing(intent_id)
        if params.get("payment_method"):
            intent["payment_method"] = params["payment_method"]
        if _listed(params, "allowed_payment_method_types"):
            intent["payment_method_types"] = _listed(params, "allowed_payment_method_types")
        return self._confirm(intent)

    def _confirm(self, intent: dict) -> tuple[int, dict]:
        if self._failures:
            code, message = self._failures.pop(0)
            error = {"type": "card_error", "code": code, "message": message}
            intent.update(status="requires_payment_method", last_payment_error=error)
            return 402, {"error": {**error, "payment_intent": dict(intent)}}
        # As at Stripe: a card settles at once, a SEPA debit is processing for days.
        sepa = "sepa_debit" in intent["payment_method_types"]
        intent.update(status="processing" if sepa else "succeeded", last_payment_error=None)
        return 200, intent


def _nested(params: dict, name: str) -> dict:
    prefix = f"{name}["
    return {k[len(prefix):-1]: v for k, v in params.items() if k.startswith(prefix)}


def _listed(params: dict, name: str) -> list[str]:
    """A form-encoded list, `name[0]=a&name[1]=b`, in its order."""
    prefix = f"{name}["
    items = [(key[len(prefix):-1], value) for key, value in params.items() if key.startswith(prefix)]
    return [value for index, value in sorted(items, key=lambda item: int(item[0]))]


def _missing(object_id: str, kind: str = "payment_intent") -> tuple[int, dict]:
    return 404, {"error": {"type": "invalid_request_error", "code": "resource_missing",
                           "message": f"No such {kind}: '{object_id}'"}}


def webhook_signature(payload: bytes, secret: str = WEBHOOK_SECRET,
                      timestamp: int | None = None) -> str:
    """The Stripe-Signature header Stripe would send: t=<unix time>,v1=HMAC-SHA256 of "t.payload"."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def webhook_event(event_type: str, intent: dict, event_id: str = "evt_fake1") -> bytes:
    return json.dumps({
        "id": event_id, "object": "event", "type": event_type, "api_version": "2024-06-20",
        "created": int(time.time()), "data": {"object": intent},
    }).encode()
