"""What one booking costs the web process: SQL statements and Python (CPU) time per earn through
the REST API and through the till, in-process through the whole WSGI stack (middleware, auth,
DRF, service, answer), after a warm-up. The database server's own time is not in the figure.

Run: `make bench-booking-cost` (or with DATABASE_URL / REDIS_URL set: `python bench/booking_cost.py`).
Options: --bookings 500 --profile (prints the 25 most expensive functions by cumulative time)"""
import argparse
import cProfile
import json
import os
import pstats
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ["DJANGO_DEBUG"] = "false"
os.environ.setdefault("DATABASE_CONN_MAX_AGE", "600")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

from loyalty.actors import Actor  # noqa: E402
from loyalty.models import Card, Program  # noqa: E402
from loyalty.pos.auth import TERMINAL_COOKIE  # noqa: E402
from loyalty.services.cards import cards_create_range  # noqa: E402
from loyalty.services.terminals import terminal_create  # noqa: E402
from tenants.accounts.models import User  # noqa: E402
from tenants.services import merchant_provision  # noqa: E402

PASSWORD = "a long benchmark password"
CARD_FIELD = "card_number"


def prepare():
    call_command("migrate_schemas", "--noinput", verbosity=0)
    subdomain = f"cost-{uuid.uuid4().hex[:8]}"
    merchant = merchant_provision(subdomain=subdomain, name="Cost", owner_email=f"o@{subdomain}.example",
                                  owner_password=PASSWORD)
    with schema_context(merchant.schema_name):
        program = Program.objects.create(kind="points", name="Punkte")
        cards = cards_create_range(first_serial=1, count=200, actor=Actor.system("bench"),
                                   status=Card.Status.ACTIVE)
        _, api_token = terminal_create(name="Register", actor=Actor.system("bench"))
        _, till_token = terminal_create(name="Till", actor=Actor.system("bench"))
        owner = User.objects.get()
    return merchant, program.pk, [card.number for card in cards], api_token, till_token, owner


def api_client(merchant, token) -> tuple[Client, str, dict]:
    client = Client(HTTP_HOST=merchant.primary_host, HTTP_AUTHORIZATION=f"Terminal {token}")
    return client, "/api/bookings/earn/", {}


def till_client(merchant, token, owner) -> tuple[Client, str, dict]:
    client = Client(HTTP_HOST=merchant.primary_host, enforce_csrf_checks=True)
    client.cookies[TERMINAL_COOKIE] = token
    client.get("/pos/login/")
    client.post("/pos/login/", {"csrfmiddlewaretoken": client.cookies["csrftoken"].value,
                                "method": "password", "password-email": owner.email,
                                "password-password": PASSWORD})
    return client, "/pos/api/bookings/earn/", {"HTTP_X_CSRFTOKEN": client.cookies["csrftoken"].value}


def book(client, path, extra, program, card, index) -> int:
    body = json.dumps({CARD_FIELD: card, "program": program, "purchase_amount_cents": 1_000 + index})
    response = client.post(path, body, content_type="application/json",
                           HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()), **extra)
    if response.status_code != 201:
        raise SystemExit(f"{path}: {response.status_code} {response.content[:300]!r}")
    return response.status_code


def measure(name, client, path, extra, program, cards, count, profile) -> None:
    for index in range(20):  # warm-up: caches filled, code paths loaded
        book(client, path, extra, program, cards[index % len(cards)], index)
    with CaptureQueriesContext(connection) as queries:
        book(client, path, extra, program, cards[0], 0)
    statements = list(queries.captured_queries)  # read now: the next request empties the log
    profiler = cProfile.Profile() if profile else None
    started = time.process_time()
    wall = time.perf_counter()
    if profiler:
        profiler.enable()
    for index in range(count):
        book(client, path, extra, program, cards[index % len(cards)], index)
    if profiler:
        profiler.disable()
    cpu = (time.process_time() - started) / count * 1000
    elapsed = (time.perf_counter() - wall) / count * 1000
    print(f"{name:<5} {len(statements)} SQL statements; {cpu:.2f} ms Python (CPU) and "
          f"{elapsed:.2f} ms wall per booking over {count} bookings")
    if os.environ.get("SHOW_SQL"):
        for query in statements:
            print("   ", query["sql"][:160])
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bookings", type=int, default=500)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    merchant, program, cards, api_token, till_token, owner = prepare()
    try:
        measure("API", *api_client(merchant, api_token), program, cards, args.bookings, args.profile)
        measure("till", *till_client(merchant, till_token, owner), program, cards, args.bookings,
                args.profile)
    finally:
        connection.set_schema_to_public()
        merchant.delete(force_drop=True)


if __name__ == "__main__":
    main()
