"""The journal's downloads: the filtered bookings, exactly, with the page's columns; CSV as German
Excel opens it (UTF-8 with BOM, `;`, decimal comma in German), XLSX that openpyxl reads; amounts in
euros beside the cents, local times with their offset, formulas neutralised; each download audited
with the address; a cashier gets 403 and no file."""
import csv
import io
import re

import openpyxl
import pytest
from django_tenants.utils import schema_context

from loyalty.models import AuditLog, Booking
from loyalty.selectors import journal_filtered
from loyalty.services.bookings import booking_earn
from loyalty.tests.journal.conftest import SYSTEM
from loyalty.tests.manage.conftest import signed_in
from loyalty.tests.staff.conftest import sign_in
from tests.support.factories import CardFactory, ProgramFactory

pytestmark = pytest.mark.django_db

LOCAL_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0[12]:00$")


def _content(response) -> bytes:
    return b"".join(response.streaming_content)


def _csv(response) -> list[list[str]]:
    content = _content(response)
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def _xlsx(response) -> list[tuple]:
    sheet = openpyxl.load_workbook(io.BytesIO(_content(response))).active
    return list(sheet.iter_rows(values_only=True))


def _ids(**filters) -> list[int]:
    with schema_context("alice"):
        return list(journal_filtered(**filters).order_by("-created_at", "-pk").values_list("pk", flat=True))


@pytest.fixture
def formula(alice, ledger):
    """A purchase whose receipt number a spreadsheet would run as a formula."""
    with schema_context("alice"):
        return booking_earn(card_number=ledger.cards[0].number, program=ledger.points, purchase_amount_cents=1_250,
                            idempotency_key="formula", actor=SYSTEM, receipt_number="=HYPERLINK(\"http://x\")")


def test_the_csv_holds_exactly_the_filtered_bookings_as_german_excel_reads_them(alice, ledger, formula, owner_client):
    card = ledger.cards[0].number
    response = owner_client.get(f"/manage/journal/download.csv?card_number={card}&kind=earn",
                                HTTP_ACCEPT_LANGUAGE="de")

    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.match(r'attachment; filename="buchungsjournal-\d{4}-\d\d-\d\d\.csv"', response["Content-Disposition"])
    header, *rows = _csv(response)
    assert header[:4] == ["Buchung", "Zeitpunkt", "Art", "Gutscheinart für die Umsatzsteuer"] and "Kaufbetrag (€)" in header
    assert [int(row[0]) for row in rows] == _ids(card_number=card, kind="earn") != []
    assert {row[4] for row in rows} == {card}
    line = next(row for row in rows if int(row[0]) == formula.pk)
    euros, cents = header.index("Kaufbetrag (€)"), header.index("Kaufbetrag (Cent)")
    assert (line[euros], line[cents]) == ("12,50", "1250")
    assert line[header.index("Beleg")] == "'=HYPERLINK(\"http://x\")"
    assert LOCAL_TIME.match(line[1]), line[1]
    assert line[header.index("Betrag")] == "Bonuspunkte: +12 Punkte"


def test_the_csv_in_english_writes_a_decimal_point(alice, ledger, formula, owner_client):
    header, *rows = _csv(owner_client.get("/manage/journal/download.csv?kind=earn"))

    line = next(row for row in rows if int(row[0]) == formula.pk)
    assert header[7:9] == ["Purchase amount (€)", "Purchase amount (cents)"]
    assert (line[7], line[8]) == ("12.50", "1250")
    assert len(rows) == 31


def test_the_xlsx_holds_exactly_the_filtered_bookings_with_amounts_as_numbers(alice, ledger, formula, owner_client):
    response = owner_client.get(f"/manage/journal/download.xlsx?program={ledger.points.pk}")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    header, *rows = _xlsx(response)
    assert header[0] == "Booking"
    assert [row[0] for row in rows] == _ids(program=ledger.points) != []
    line = next(row for row in rows if row[0] == formula.pk)
    assert (line[7], line[8]) == (12.5, 1250)
    assert LOCAL_TIME.match(line[1])
    sheet = openpyxl.load_workbook(io.BytesIO(_content(owner_client.get(
        f"/manage/journal/download.xlsx?program={ledger.points.pk}")))).active
    assert sheet.cell(row=2 + rows.index(line), column=8).number_format == "0.00"
    # The receipt number is text as typed, marked as text (Excel's quote prefix), never a formula.
    receipt = sheet.cell(row=2 + rows.index(line), column=12)
    assert (receipt.value, receipt.data_type, receipt.quotePrefix) == ("=HYPERLINK(\"http://x\")", "s", True)


def test_a_download_is_audited_with_its_filter_and_address(alice, ledger, owner_client):
    owner_client.get(f"/manage/journal/download.xlsx?terminal={ledger.till.pk}")

    with schema_context("alice"):
        entry = AuditLog.objects.get(action="journal.download")
        count = Booking.objects.filter(terminal=ledger.till).count()
    assert entry.data == {"format": "xlsx", "rows": count, "filters": {"terminal": ledger.till.pk}}
    assert entry.address == "127.0.0.1" and entry.actor_user.email.startswith("owner@")


def test_a_download_asked_with_anything_but_the_filter_is_not_made(alice, ledger, owner_client):
    wrong = owner_client.get("/manage/journal/download.csv?kind=earn&q=x")
    bad_filter = owner_client.get("/manage/journal/download.csv?date_from=2026-03-02&date_to=2026-03-01")

    assert wrong.status_code == 302 and wrong["Location"] == "/manage/journal/?kind=earn"
    assert bad_filter.status_code == 302
    with schema_context("alice"):
        assert not AuditLog.objects.filter(action="journal.download").exists()


def test_a_cashier_gets_403_for_the_journal_and_its_downloads(alice, ledger, cashier):
    client = sign_in(alice, cashier.email)
    with schema_context("alice"):
        before = AuditLog.objects.count()
    booking = ledger.earns[1][0].pk

    answers = [client.get(path).status_code for path in (
        "/manage/journal/", "/manage/journal/download.csv", "/manage/journal/download.xlsx",
        f"/manage/journal/{booking}/reverse/")]
    answers.append(client.post(f"/manage/journal/{booking}/reverse/",
                               {"key": "0b7e7c3e-44b1-4b5e-9c36-8f0d8f1d2a11"}).status_code)

    assert answers == [403] * 5
    with schema_context("alice"):
        assert AuditLog.objects.count() == before
        assert not Booking.objects.filter(reverses_id=booking).exists()


def test_alices_bookings_are_in_no_download_of_bob_or_charlie(alice, bob, charlie, ledger, host_client):
    with schema_context("bob"):
        bobs = booking_earn(card_number=CardFactory().number, program=ProgramFactory(kind="points"), purchase_amount_cents=300,
                            idempotency_key="bob", actor=SYSTEM)
    for merchant, expected in ((bob, [bobs.pk]), (charlie, [])):
        client = signed_in(host_client(merchant), merchant)
        rows = _csv(client.get("/manage/journal/download.csv"))[1:]
        by_card = _xlsx(client.get(f"/manage/journal/download.xlsx?card_number={ledger.cards[0].number}"))[1:]

        assert [int(row[0]) for row in rows] == expected
        assert by_card == []
        assert ledger.cards[0].number not in str(rows)

