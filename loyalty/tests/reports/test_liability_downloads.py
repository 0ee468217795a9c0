"""The outstanding balances as CSV (German Excel: UTF-8 with BOM, `;`, decimal comma in German)
and PDF (the merchant's company data, the day, the table and the chart with its table): the same
figures as the page; each download audited; a day to come or a foreign parameter is no download."""
import csv
import io
import re
import subprocess

import pytest
from django_tenants.utils import schema_context

from loyalty.catalog import catalog_changed
from loyalty.models import AuditLog, ShopSettings

pytestmark = pytest.mark.django_db

URL = "/manage/reports/liability/"


def _csv(response) -> list[list[str]]:
    content = b"".join(response.streaming_content)
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def _page_figures(html: str) -> list[tuple[str, str]]:
    """The money table's rows of the page: (program, open balance)."""
    table = html.split('id="liability-money"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<tr><th scope="row">([^<]+)</th><td class="number"[^>]*>([^<]+)</td>', table)


def _pdf_text(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF")
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def test_the_csv_has_the_pages_figures(books, owner_client):
    page = owner_client.get(f"{URL}?day=2025-12-31", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    response = owner_client.get(f"{URL}download.csv?day=2025-12-31", HTTP_ACCEPT_LANGUAGE="de")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="offene-guthaben-2025-12-31.csv"' in response["Content-Disposition"]
    header, *rows = _csv(response)
    assert header[:2] == ["Tag", "Programm"]
    money = {row[1]: row for row in rows if row[4]}
    assert money["Guthaben"][3:6] == ["", "38,66", "3866"] and money["Guthaben"][7] == "1"
    assert money["Brotgutschein"][4:6] == ["20,00", "2000"]
    assert "Einzweck" in money["Brotgutschein"][3] and "Mehrzweck" in money["Geschenkgutschein"][3]
    assert money["Summe"][4:6] == ["58,66", "5866"]
    points = [row for row in rows if row[6]]
    assert [row[1] for row in points] == ["Bonuspunkte"]
    # Every balance of the page is the CSV's, in the page's format.
    figures = dict(_page_figures(page))
    assert figures == {"Guthaben": "38,66 €", "Brotgutschein": "20,00 €", "Geschenkgutschein": "0,00 €"}
    assert {name: f"{money[name][4]} €" for name in figures} == figures

    with schema_context("alice"):
        entry = AuditLog.objects.get(action="report.liability_download")
    assert entry.data["format"] == "csv" and entry.data["day"] == "2025-12-31"
    assert entry.data["total_cents"] == 5_866


def test_the_csv_in_english_has_a_decimal_point(books, owner_client):
    header, *rows = _csv(owner_client.get(f"{URL}download.csv?day=2025-12-31"))
    assert header[0] == "Day" and {row[1]: row[4] for row in rows}["Total"] == "58.66"


def test_the_pdf_has_the_company_the_day_the_table_and_the_chart(books, owner_client):
    with schema_context("alice"):
        ShopSettings.objects.update(legal_name="Bäckerei Alice GmbH", street="Hauptstraße 1", postal_code="10115",
                                    city="Berlin", vat_id="DE123456789")
        catalog_changed()
    page = owner_client.get(f"{URL}?day=2025-12-31", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    response = owner_client.get(f"{URL}download.pdf?day=2025-12-31", HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = _pdf_text(response.content)
    assert "Bäckerei Alice GmbH" in text and "10115 Berlin" in text and "DE123456789" in text
    assert "Offene Guthaben" in text and "31.12.2025" in text
    for name, balance in _page_figures(page):
        assert re.search(rf"{name}\s+{re.escape(balance)}", text), (name, balance, text)
    assert re.search(r"Geschuldetes Geld insgesamt\s+58,66 €\s+2", text)
    # The chart's table, below the chart.
    assert "Offene Guthaben je Programm" in text and re.search(r"Programm\s+Offenes Guthaben", text)
    assert "Offene Punkte (kein Geld)" in text
    with schema_context("alice"):
        assert AuditLog.objects.filter(action="report.liability_download", data__format="pdf").count() == 1


def test_no_download_for_a_day_to_come_or_with_other_parameters(books, owner_client):
    for query in ("day=2999-01-01", "day=2025-12-31&program=1", "day=nonsense"):
        response = owner_client.get(f"{URL}download.csv?{query}")
        assert response.status_code == 302 and response["Location"].startswith(URL), query
    with schema_context("alice"):
        assert not AuditLog.objects.filter(action="report.liability_download").exists()
