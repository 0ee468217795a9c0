"""A fake Stripe API on 127.0.0.1 for tests: customers and payment intents, form-encoded like the
real one, idempotency keys honoured, every request recorded; and webhook signing."""
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
    webhook_secret: str = WEBHOOK_SECRET

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
            "payment_method_types": [
                value for key, value in params.items() if key.startswith("payment_method_types[")],
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


def _missing(intent_id: str) -> tuple[int, dict]:
    return 404, {"error": {"type": "invalid_request_error", "code": "resource_missing",
                           "message": f"No such payment_intent: '{intent_id}'"}}


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
