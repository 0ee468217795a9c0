"""Cardholder import speed: a 50,000-row CSV as German Excel saves it (`;`, Windows-1252) with names,
e-mail, phone, birthday, postcode, card number, an own field, points and prepaid opening balances
and a newsletter consent, imported into a fresh merchant by the import task's own code, in-process.
Prints the rows per second of the check (the preview) and of the import itself, and the SQL
statements per row. Each opening balance is a booking through the ledger's one booking path
(loyalty.services.bookings.booking_opening_balance), which most of an import's time goes to.

Run: `make bench-cardholder-import` (or with DATABASE_URL / REDIS_URL set:
`python bench/cardholder_import.py`). Options: --rows 50000 --balances 2 (0, 1 or 2 per row)
--profile preview|import (prints the most expensive functions of that step)"""
import argparse
import cProfile
import csv
import io
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

import django  # noqa: E402

django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django_tenants.utils import schema_context, tenant_context  # noqa: E402

from loyalty.actors import Actor  # noqa: E402
from loyalty.models import Booking, Cardholder, CustomField, Program  # noqa: E402
from loyalty.services import imports  # noqa: E402
from loyalty.services.cards import cards_create_range  # noqa: E402
from tenants.accounts.models import User  # noqa: E402
from tenants.services import merchant_provision  # noqa: E402

FIRST = ["Jürgen", "Änne", "Özlem", "Björn", "Grete", "Lukas", "Mia", "Sören", "Hannah", "Yusuf"]
LAST = ["Müßig", "Bäcker", "Schröder", "Weiß", "Kühn", "Groß", "Öztürk", "Jäger", "Nguyen", "Schmidt"]
BREADS = ["Roggen", "Dinkel", "Weizen"]


def csv_file(cards: list[str], balances: int) -> bytes:
    """The file; `balances` of its two balance columns (points, prepaid) are filled in."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Vorname", "Nachname", "E-Mail", "Telefon", "Geburtstag", "PLZ", "Kartennummer",
                     "Lieblingsbrot", "Punkte", "Guthaben", "Newsletter"])
    for i, card in enumerate(cards):
        points = 1 + i % 500 if balances >= 1 else ""
        prepaid = f"{1 + i % 100},{i % 4 * 25:02d}" if balances >= 2 else ""
        writer.writerow([FIRST[i % 10], f"{LAST[i // 10 % 10]}-{i}", f"kunde{i}@example.com",
                         f"0171 {i:07d}", f"{1 + i % 28:02d}.{1 + i % 12:02d}.{1940 + i % 60}",
                         f"{10000 + i % 89999:05d}", card, BREADS[i % 3], points, prepaid,
                         "ja" if i % 2 else "nein"])
    return buffer.getvalue().encode("cp1252")


def prepare(rows: int):
    call_command("migrate_schemas", "--noinput", verbosity=0)
    subdomain = f"import-{uuid.uuid4().hex[:8]}"
    merchant = merchant_provision(subdomain=subdomain, name="Import", owner_email=f"o@{subdomain}.example",
                                  owner_password="a long benchmark password")
    with schema_context(merchant.schema_name):
        Program.objects.create(kind="points", name="Punkte")
        Program.objects.create(kind="prepaid", name="Guthaben")
        CustomField.objects.create(key="brot", label="Lieblingsbrot", kind="choice", choices=BREADS)
        cards = cards_create_range(first_serial=1, count=rows, actor=Actor.system("bench"))
        owner = User.objects.get()
    return merchant, [card.number for card in cards], owner


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--balances", type=int, choices=[0, 1, 2], default=2,
                        help="opening balances per row (each is one booking through the ledger)")
    parser.add_argument("--profile", choices=["preview", "import"], help="profile one of the two steps")
    options = parser.parse_args()

    merchant, cards, owner = prepare(options.rows)
    content = csv_file(cards, options.balances)
    print(f"file: {options.rows:,} rows with {options.balances} opening balances each, "
          f"{len(content) / 1e6:.1f} MB (CSV, ;, Windows-1252)", flush=True)
    # As in a request or the task: the connection's tenant is the merchant (with its key ring).
    with tenant_context(merchant):
        actor = Actor(user=owner)
        started = time.perf_counter()
        job = imports.cardholder_import_upload(upload=SimpleUploadedFile("kunden.csv", content), actor=actor)
        uploaded = time.perf_counter() - started
        profile = cProfile.Profile() if options.profile else None
        started = time.perf_counter()
        if options.profile == "preview":
            profile.enable()
        preview = imports.cardholder_import_preview(job)
        checked = time.perf_counter() - started
        if options.profile == "preview":
            profile.disable()
        assert preview.new == options.rows, (preview.new, preview.errors[:3])
        imports.cardholder_import_start(job=job, actor=actor)
        statements = [0]

        def count(execute, sql, params, many, context):
            statements[0] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            started = time.perf_counter()
            if options.profile == "import":
                profile.enable()
            done = imports.cardholder_import_run(import_id=job.pk)
            if options.profile == "import":
                profile.disable()
            took = time.perf_counter() - started
        assert (done.status, done.created_count) == ("done", options.rows), (done.status, done.errors[:3])
        assert Cardholder.objects.count() == options.rows
        bookings = Booking.objects.filter(kind="opening_balance").count()
    print(f"upload (read and keep the file): {uploaded:.2f} s")
    print(f"preview (every row checked): {checked:.2f} s = {options.rows / checked:,.0f} rows/s")
    print(f"import: {took:.1f} s = {options.rows / took:,.0f} rows/s "
          f"({statements[0] / options.rows:.1f} SQL statements per row, {bookings:,} opening balances)")
    if profile:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
        pstats.Stats(profile).sort_stats("tottime").print_stats(20)


if __name__ == "__main__":
    main()
