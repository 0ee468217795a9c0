"""Tables for spreadsheets, as German Excel opens them: CSV in UTF-8 with a byte order mark and `;`
between the cells, streamed row by row, and XLSX written by openpyxl in its write-only mode. The
cells follow the export's rules (loyalty.services.exports.Cells): euros with the language's
decimal mark, local times with their offset, texts never read as formulas."""
import csv
import datetime
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from loyalty.services.exports import Cells, euros_text, local_time_iso, spreadsheet_safe

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
    """`2026-03-02T14:05:00+01:00`: the merchant's local time with its offset from UTC, as the
    export writes it."""
    return local_time_iso(moment)


def _csv_cell(value, decimal_mark: str):
    if isinstance(value, Euros):
        return euros_text(value.cents, decimal_mark)
    return spreadsheet_safe(value)


class _Line:
    """A file-like that hands back what csv.writer writes, one line at a time."""

    def write(self, text: str) -> str:
        return text


def csv_stream(header: list[str], rows: Iterable[Iterable], *, rows_per_chunk: int = 500) -> Iterator[bytes]:
    """The CSV file, a few hundred lines at a time: for StreamingHttpResponse, so that no row waits
    in memory for the others, and the network is not sent a line at a time."""
    writer = csv.writer(_Line(), delimiter=";")
    decimal_mark = Cells().decimal_mark
    lines = ["\ufeff" + writer.writerow(header)]
    for row in rows:
        lines.append(writer.writerow([_csv_cell(value, decimal_mark) for value in row]))
        if len(lines) >= rows_per_chunk:
            yield "".join(lines).encode()
            lines = []
    yield "".join(lines).encode()


def xlsx_file(title: str, header: list[str], rows: Iterable[Iterable]):
    """The XLSX workbook with one sheet, as an open file at its start: openpyxl's write-only mode
    keeps no rows in memory, and the file spills to disk once it is large."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    cells = Cells()
    sheet.append([cells.xlsx_text(sheet, text, bold=True) for text in header])
    for row in rows:
        sheet.append([_xlsx_cell(sheet, cells, value) for value in row])
    file = tempfile.SpooledTemporaryFile(max_size=_XLSX_IN_MEMORY)  # noqa: SIM115 (the response closes it)
    workbook.save(file)
    file.seek(0)
    return file


def _xlsx_cell(sheet, cells: Cells, value):
    if isinstance(value, Euros):
        cell = WriteOnlyCell(sheet, value=value.value)
        cell.number_format = "0.00"
        return cell
    if isinstance(value, str):
        return cells.xlsx_text(sheet, value)
    return value
