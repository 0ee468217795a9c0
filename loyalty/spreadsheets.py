"""Tables for spreadsheets, as German Excel opens them: CSV in UTF-8 with a byte order mark and `;`
between the cells, streamed row by row, and XLSX written by openpyxl in its write-only mode. Every
text cell is neutralised against formulas (loyalty.services.exports.spreadsheet_safe)."""
import csv
import datetime
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from django.utils.formats import number_format
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from loyalty.services.exports import spreadsheet_safe

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Excel's last row, less the header.
XLSX_MAX_ROWS = 1_048_575
# Before it is handed out, a workbook is kept in memory up to this size, then in a temporary file.
_XLSX_IN_MEMORY = 8 * 1024 * 1024


@dataclass(frozen=True)
class Euros:
    """An amount of money for a cell of its own, in euros with two decimals: in a CSV written with
    the language's decimal mark (`12,50` in German), in XLSX a number shown as `0.00`."""

    cents: int

    @property
    def value(self) -> Decimal:
        return Decimal(self.cents) / 100


def local_time_text(moment: datetime.datetime) -> str:
    """`2026-03-02 14:05:00+01:00`: the merchant's local time with its offset from UTC."""
    return timezone.localtime(moment).isoformat(sep=" ", timespec="seconds")


def _csv_cell(value):
    if isinstance(value, Euros):
        return number_format(value.value, 2)
    return spreadsheet_safe(value)


class _Line:
    """A file-like that hands back what csv.writer writes, one line at a time."""

    def write(self, text: str) -> str:
        return text


def csv_stream(header: list[str], rows: Iterable[Iterable], *, rows_per_chunk: int = 500) -> Iterator[bytes]:
    """The CSV file, a few hundred lines at a time: for StreamingHttpResponse, so that no row waits
    in memory for the others, and the network is not sent a line at a time."""
    writer = csv.writer(_Line(), delimiter=";")
    lines = ["\ufeff" + writer.writerow(header)]
    for row in rows:
        lines.append(writer.writerow([_csv_cell(value) for value in row]))
        if len(lines) >= rows_per_chunk:
            yield "".join(lines).encode()
            lines = []
    yield "".join(lines).encode()


def xlsx_file(title: str, header: list[str], rows: Iterable[Iterable]):
    """The XLSX workbook with one sheet, as an open file at its start: openpyxl's write-only mode
    keeps no rows in memory, and the file spills to disk once it is large."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    sheet.append(header)
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    file = tempfile.SpooledTemporaryFile(max_size=_XLSX_IN_MEMORY)  # noqa: SIM115 (the response closes it)
    workbook.save(file)
    file.seek(0)
    return file


def _xlsx_cell(sheet, value):
    if isinstance(value, Euros):
        cell = WriteOnlyCell(sheet, value=value.value)
        cell.number_format = "0.00"
        return cell
    return spreadsheet_safe(value)
