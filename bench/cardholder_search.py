"""Cardholder search at 50,000 cardholders: time to find people by part of a surname (names are
encrypted: found through hashed name pieces, then checked after decryption), by card number and by
e-mail address (a blind index), p50 and p95 over 20 runs each, for the search alone (the ids of
the first page) and for the whole list page through the WSGI stack in-process (sign-in, filters,
count, 50 rows decrypted, their cards and last visits).

The merchant `cardholder-search` is built once (bulk_create with each row's blind indexes computed
by loyalty.services.cardholders.cardholder_indexes_refresh, as every write computes them) and
reused by later runs; --rebuild drops it first.

Run: `make bench-cardholder-search` (or with DATABASE_URL / REDIS_URL set:
`python bench/cardholder_search.py`). Options: --cardholders 50000 --runs 20 --rebuild"""
import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ["DJANGO_DEBUG"] = "false"
os.environ.setdefault("DATABASE_CONN_MAX_AGE", "600")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django_tenants.utils import tenant_context  # noqa: E402

from loyalty.cardnumbers import card_number_from_serial  # noqa: E402
from loyalty.models import Card, Cardholder, ShopSettings  # noqa: E402
from loyalty.selectors_cardholders import cardholders_all  # noqa: E402
from loyalty.services.cardholders import (  # noqa: E402
    SEARCH_CANDIDATES,
    cardholder_indexes_refresh,
    cardholders_find,
)
from loyalty.services.cards import activation_code_new  # noqa: E402
from tenants.models import Merchant  # noqa: E402
from tenants.services import merchant_provision, schema_name_for  # noqa: E402

SUBDOMAIN = "cardholder-search"
PASSWORD = "a long benchmark password"
BATCH = 2_000
# Germany's commonest surnames, then names made of syllables, so that the name index holds many
# distinct names as a real customer list does.
COMMON = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
          "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann",
          "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt", "Werner",
          "Krause", "Meier", "Lehmann", "Yılmaz", "García", "Nowak", "Kowalski", "Öztürk"]
SYLLABLES = ["ber", "gen", "hau", "sen", "mann", "ler", "kamp", "dorf", "stein", "feld", "brink", "hü",
             "rö", "wa", "li", "ko", "tz", "sch", "ner", "bach", "horst", "lin", "rich", "mey"]
FIRST = ["Anna", "Jürgen", "Sophie", "Lukas", "Marie", "Emil", "Zoë", "Helga", "Karl-Heinz", "José",
         "Leonie", "Mehmet", "Ayşe", "Paul", "Mia", "Noah", "Lena", "Jonas", "Renée", "Björn"]
# The people every run looks for.
TARGET = {"first_name": "Gudrun", "last_name": "Hagemeister-Lüdenscheidt", "email": "gudrun.h@example.com",
          "phone": "0171 7654321"}


# The commonest names by rank (1/rank): Müller for about 1 in 100 people, as in Germany.
WEIGHTS = [1 / rank for rank in range(1, len(COMMON) + 1)]
COMMON_SHARE = 0.04


def surname(rng: random.Random) -> str:
    if rng.random() < COMMON_SHARE:
        return rng.choices(COMMON, WEIGHTS)[0]
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def build(merchant: Merchant, count: int) -> None:
    rng = random.Random(16)
    started = time.perf_counter()
    with tenant_context(merchant):
        done = Cardholder.objects.count()
        for first in range(done, count, BATCH):
            size = min(BATCH, count - first)
            people = []
            for index in range(first, first + size):
                data = TARGET if index == count // 2 else {
                    "first_name": rng.choice(FIRST), "last_name": surname(rng),
                    "email": f"kunde{index}@example.com", "phone": f"0151 {index:08d}"}
                people.append(cardholder_indexes_refresh(Cardholder(postcode=f"{10000 + index % 89999}", **data)))
            with transaction.atomic():
                Cardholder.objects.bulk_create(people)
                Card.objects.bulk_create([
                    Card(number=card_number_from_serial(100_000 + index), status=Card.Status.ACTIVE,
                         activation_code=activation_code_new(), cardholder=person)
                    for index, person in enumerate(people, start=first)])
            rate = (first + size - done) / (time.perf_counter() - started)
            print(f"\r  {first + size:,} of {count:,} cardholders ({rate:,.0f} per second)", end="", flush=True)
        print()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE loyalty_cardholder; ANALYZE loyalty_card")


def merchant_ready(count: int, rebuild: bool) -> Merchant:
    call_command("migrate_schemas", "--noinput", verbosity=0)
    merchant = Merchant.objects.filter(schema_name=schema_name_for(SUBDOMAIN)).first()
    if merchant is not None and rebuild:
        merchant.delete(force_drop=True)
        merchant = None
    if merchant is None:
        merchant = merchant_provision(subdomain=SUBDOMAIN, name="Cardholder search",
                                      owner_email=f"owner@{SUBDOMAIN}.example", owner_password=PASSWORD)
    with tenant_context(merchant):
        settings = ShopSettings.current()
        settings.two_factor_required = False  # the page timing signs in with the password alone
        settings.save()
        have = Cardholder.objects.count()
    if have < count:
        print(f"Building {count - have:,} cardholders (once; later runs reuse them) …")
        build(merchant, count)
    return merchant


def percentiles(timings: list[float]) -> tuple[float, float]:
    ordered = sorted(timings)
    return statistics.median(ordered), ordered[max(0, round(0.95 * len(ordered)) - 1)]


def time_runs(runs: int, work) -> tuple[list[float], object]:
    work()  # warm-up: caches and the key ring loaded
    timings, result = [], None
    for _run in range(runs):
        started = time.perf_counter()
        result = work()
        timings.append((time.perf_counter() - started) * 1000)
    return timings, result


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cardholders", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    merchant = merchant_ready(args.cardholders, args.rebuild)
    client = Client(HTTP_HOST=merchant.primary_host, HTTP_ACCEPT_LANGUAGE="de")
    signed_in = client.post("/manage/login/", {"username": f"owner@{SUBDOMAIN}.example", "password": PASSWORD})
    assert signed_in.status_code == 302, signed_in
    with tenant_context(merchant):
        total = Cardholder.objects.count()
        target = Cardholder.objects.get(pk=Card.objects.get(number=card_number_from_serial(
            100_000 + args.cardholders // 2)).cardholder_id)
        assert target.last_name == TARGET["last_name"], "the benchmark merchant was built differently: --rebuild"
        number = target.cards.get().number
    # (what is searched, the query, whether the target must be among the first page's rows)
    queries = [("part of a common surname", "müll", False), ("two letters of a name", "mü", False), ("part of a rare surname, no accent", "ludensch", True),
               ("first and part of last name", "gudrun hagem", True), ("card number", number, True),
               ("beginning of a card number", number[:11], True), ("e-mail address", "Gudrun.H@Example.com", True)]
    print(f"\n{total:,} cardholders, {args.runs} runs each (after a warm-up), milliseconds\n")
    print(f"{'search':<36} {'found':>6} {'search p50':>11} {'p95':>7} {'page p50':>9} {'p95':>7}")
    for label, query, finds_target in queries:
        with tenant_context(merchant):
            search, found = time_runs(args.runs, lambda q=query: list(
                cardholders_find(q, cardholders_all()).cardholders.values_list("pk", flat=True)[:50]))
            result = cardholders_find(query, cardholders_all())
            matches = f"{result.cardholders.count()}{'+' if result.incomplete else ''}"
        page, response = time_runs(args.runs, lambda q=query: client.get("/manage/cardholders/", {"q": q}))
        assert response.status_code == 200 and (target.pk in found or not finds_target), label
        print(f"{label:<36} {matches:>6} {percentiles(search)[0]:>11.1f} {percentiles(search)[1]:>7.1f} "
              f"{percentiles(page)[0]:>9.1f} {percentiles(page)[1]:>7.1f}")
    page, _response = time_runs(args.runs, lambda: client.get("/manage/cardholders/"))
    print(f"{'(the list without a search)':<36} {total:>6} {'':>11} {'':>7} {percentiles(page)[0]:>9.1f} "
          f"{percentiles(page)[1]:>7.1f}")
    print(f"\nfound: how many the search finds; +: more people match than one search checks "
          f"({SEARCH_CANDIDATES:,}), the newest are listed and the page asks for more of the name.")


if __name__ == "__main__":
    main()
