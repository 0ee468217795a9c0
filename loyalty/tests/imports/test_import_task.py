"""The import through its pages and a real Celery worker: a workbook of 1,000 rows with 10 invalid
ones imports 990 and names the 10 with their rows and reasons; the same file again adds and books
nothing, also when a delivered-again task starts over; opening balances add up to the file's sum;
a CSV file from German Excel keeps its umlauts."""
import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.cardnumbers import card_number_from_serial
from loyalty.models import (
    Booking,
    Card,
    Cardholder,
    CardholderImport,
    Consent,
    CustomField,
    LedgerEntry,
)
from loyalty.models.transfers import JobStatus
from loyalty.services.cards import cards_create_range
from loyalty.tasks import cardholder_import_run
from loyalty.tests.imports.conftest import csv_bytes, signed_in, xlsx_bytes
from tests.support.concurrency import wait_until
from tests.support.factories import ProgramFactory

HEADERS = ["Vorname", "Nachname", "E-Mail", "Kartennummer", "Geburtstag", "Lieblingsbrot", "Punkte",
           "Guthaben", "Newsletter"]


def import_through_the_pages(client, name: str, content: bytes, *, mapping: dict | None = None):
    """Upload, keep the suggested mapping (or this one), preview, import, and wait for the worker.
    Returns the import and the preview page's text."""
    uploaded = client.post("/manage/cardholders/import/", {"file": SimpleUploadedFile(name, content)})
    assert uploaded.status_code == 302, uploaded.content.decode()
    pk = int(re.search(r"/import/(\d+)/$", uploaded["Location"])[1])
    with schema_context("alice"):
        suggested = CardholderImport.objects.get(pk=pk).mapping
    chosen = suggested if mapping is None else mapping
    assert client.get(f"/manage/cardholders/import/{pk}/").status_code == 200
    mapped = client.post(f"/manage/cardholders/import/{pk}/",
                         {f"column_{column}": target for column, target in chosen.items()})
    assert mapped.status_code == 302, mapped.content.decode()
    preview = client.get(f"/manage/cardholders/import/{pk}/preview/")
    assert preview.status_code == 200
    started = client.post(f"/manage/cardholders/import/{pk}/preview/")
    assert started["Location"] == f"/manage/cardholders/import/{pk}/result/"

    def finished():
        with schema_context("alice"):
            return CardholderImport.objects.get(pk=pk).status in (JobStatus.DONE, JobStatus.FAILED)

    assert wait_until(finished, timeout=120, interval=0.2)
    with schema_context("alice"):
        return CardholderImport.objects.get(pk=pk), preview.content.decode(), suggested


def _counts():
    with schema_context("alice"):
        return (Cardholder.objects.count(), Booking.objects.count(), LedgerEntry.objects.count(),
                Consent.objects.count(), Card.objects.filter(cardholder__isnull=False).count())


def _thousand_rows(cards: list[str]) -> tuple[list[list], dict[int, str], dict[str, int]]:
    """1,000 rows, 10 of them invalid (file row → reason), and the valid rows' balance per column."""
    rows, sums = [HEADERS], {"Punkte": 0, "Guthaben": 0}
    for i in range(1_000):
        points, cents = i % 40, (i % 25) * 150 + 5
        rows.append([f"Kundin{i}", f"Müller-Lüdenscheidt {i}", f"kundin{i}@example.com",
                     # Every other number as Excel keeps a number: without its leading zeros.
                     int(cards[i]) if i % 2 else cards[i],
                     datetime.datetime(1950 + i % 50, 1 + i % 12, 1 + i % 28),
                     ["Roggen", "Dinkel", "weizen"][i % 3], points,
                     f"{cents // 100},{cents % 100:02d}" if i % 3 else cents / 100, "ja" if i % 2 else "nein"])
    invalid = {
        12: ("Geburtstag", "31.02.1980", "“31.02.1980” is not a date."),
        100: ("E-Mail", "kundin-at-example.com", "“kundin-at-example.com” is not an e-mail address."),
        201: ("Lieblingsbrot", "Baguette", "“Baguette” is not a choice of “Lieblingsbrot” (Roggen, Dinkel, Weizen)."),
        333: ("Kartennummer", cards[5], f"The card number {cards[5]} comes already in row 7."),
        404: ("Guthaben", "-3,50", "Guthaben: The amount must be more than zero."),
        505: ("E-Mail", "KUNDIN9@example.com", "The e-mail address KUNDIN9@example.com comes already in row 11."),
        606: ("Kartennummer", card_number_from_serial(999_999), f"There is no card with the number "
                                                               f"{card_number_from_serial(999_999)}."),
        707: ("Punkte", "7,5", "Bonuspunkte: “7,5” is not a whole number."),
        808: ("Kartennummer", "1234567890123", "“1234567890123” is not a valid card number."),
        909: ("Newsletter", "vielleicht", "“Newsletter by e-mail” takes yes or no, not “vielleicht”."),
    }
    reasons = {}
    for file_row, (header, value, reason) in invalid.items():
        rows[file_row - 1][HEADERS.index(header)] = value
        reasons[file_row] = reason
    for row_number, row in enumerate(rows[1:], start=2):
        if row_number not in reasons:
            sums["Punkte"] += row[HEADERS.index("Punkte")]
            balance = row[HEADERS.index("Guthaben")]
            sums["Guthaben"] += round(balance * 100) if isinstance(balance, float) else int(balance.replace(",", ""))
    return rows, reasons, sums


def test_a_workbook_of_1000_rows_with_10_invalid_imports_990_and_again_adds_nothing(
        committed, celery_worker, alice, host_client):
    with schema_context("alice"):
        points = ProgramFactory(kind="points", name="Bonuspunkte")
        prepaid = ProgramFactory(kind="prepaid", name="Guthaben")
        CustomField.objects.create(key="brot", label="Lieblingsbrot", kind="choice",
                                   choices=["Roggen", "Dinkel", "Weizen"])
        cards = [card.number for card in cards_create_range(first_serial=5_000, count=1_000,
                                                           actor=Actor(label="test"))]
    rows, reasons, sums = _thousand_rows(cards)
    content = xlsx_bytes(rows)
    client = signed_in(host_client(alice), alice)

    job, preview, mapping = import_through_the_pages(client, "kunden.xlsx", content)

    assert mapping == {"0": "first_name", "1": "last_name", "2": "email", "3": "card", "4": "birth_date",
                       "5": "custom:brot", "6": f"balance:{points.pk}", "7": f"balance:{prepaid.pk}",
                       "8": "consent:newsletter"}
    for row, reason in reasons.items():
        assert f"Row {row}: {reason}" in preview.replace("&quot;", '"').replace("&#x27;", "'")
    assert "990 rows become new cardholders." in preview
    assert (job.status, job.rows_done, job.created_count, job.skipped_count) == ("done", 1_000, 990, 0)
    assert {entry["row"]: entry["reason"]["en"] for entry in job.errors} == reasons
    after_first = _counts()
    assert after_first[0] == after_first[4] == 990
    with schema_context("alice"):
        opening = LedgerEntry.objects.filter(booking__kind=Booking.Kind.OPENING_BALANCE)
        assert opening.filter(account__program=points).aggregate(total=Sum("amount"))["total"] == sums["Punkte"]
        assert opening.filter(account__program=prepaid).aggregate(total=Sum("amount"))["total"] == sums["Guthaben"]
        assert Cardholder.objects.get(cards__number=cards[2]).custom_data == {"brot": "Weizen"}

    again, preview_again, remembered = import_through_the_pages(client, "kunden-nochmal.xlsx", content)

    assert remembered == mapping
    assert "You imported this very file on" in preview_again
    assert (again.status, again.created_count, again.skipped_count) == ("done", 0, 990)
    assert {entry["row"] for entry in again.errors} == set(reasons)
    assert _counts() == after_first

    # A task delivered again after a lost worker starts from its last committed batch; even from
    # the very start it adds and books nothing.
    with schema_context("alice"):
        CardholderImport.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED, rows_done=0, created_count=0,
                                                          errors=[], content=content)
        assert cardholder_import_run.delay(job.pk).get(timeout=120) == {"status": "done", "created": 0,
                                                                        "skipped": 990}
    assert _counts() == after_first


def test_a_csv_saved_by_german_excel_imports_with_its_umlauts(committed, celery_worker, alice, host_client):
    with schema_context("alice"):
        CustomField.objects.create(key="strasse", label="Straße")
    rows = [["Vorname", "Nachname", "E-Mail", "Straße", "Geburtstag"],
            ["Jürgen", "Müßig", "juergen.muessig@example.com", "Bäckerstraße 12", "03.10.1975"],
            ["Öznur", "Çelik-Schäfer", "oeznur@example.com", "Am Gänsemarkt 1", "29.02.1984"]]
    content = csv_bytes(rows, delimiter=";", encoding="cp1252")
    assert "Jürgen".encode() not in content and "Jürgen".encode("cp1252") in content

    job, _preview, mapping = import_through_the_pages(signed_in(host_client(alice), alice), "kunden.csv", content)

    assert mapping == {"0": "first_name", "1": "last_name", "2": "email", "3": "custom:strasse",
                       "4": "birth_date"}
    assert (job.status, job.created_count, job.errors) == ("done", 2, [])
    with schema_context("alice"):
        people = {(h.first_name, h.last_name, h.custom_data["strasse"], h.birth_date)
                  for h in Cardholder.objects.all()}
    assert people == {("Jürgen", "Müßig", "Bäckerstraße 12", datetime.date(1975, 10, 3)),
                      ("Öznur", "Çelik-Schäfer", "Am Gänsemarkt 1", datetime.date(1984, 2, 29))}


@pytest.mark.parametrize(("encoding", "delimiter"), [("utf-8-sig", ","), ("utf-8", ";")])
def test_a_csv_in_utf_8_with_or_without_bom_imports_with_its_umlauts(
        committed, celery_worker, alice, host_client, encoding, delimiter):
    content = csv_bytes([["First name", "Last name", "Email"], ["Jürgen", "Müßig", "j@example.com"]],
                        delimiter=delimiter, encoding=encoding)

    job, _preview, _mapping = import_through_the_pages(signed_in(host_client(alice), alice), "people.csv", content)

    assert job.created_count == 1
    with schema_context("alice"):
        holder = Cardholder.objects.get()
    assert (holder.first_name, holder.last_name) == ("Jürgen", "Müßig")
