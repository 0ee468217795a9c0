"""The print-ready PDFs of a print order: ID-1 cards on A4 sheets, with bleed and crop marks."""
import base64
import math
import subprocess
import tempfile
from pathlib import Path

import weasyprint
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe
from django_tenants.utils import schema_context

from hq.models import PrintOrder
from hq.printing.selectors import print_order_cards
from loyalty.barcode import code128_svg
from loyalty.services.shop import shop_branding

SHEET_WIDTH, SHEET_HEIGHT = 210.0, 297.0  # A4, in mm like every length here
CARD_WIDTH, CARD_HEIGHT = 85.6, 54.0  # ISO/IEC 7810 ID-1, the size of a bank card
BLEED = 2.0  # the background runs past the cut, so a cut slightly off leaves no white edge
GUTTER = 10.0  # between two cards: room for both cards' bleed and crop marks
COLUMNS, ROWS = 2, 4
CARDS_PER_SHEET = COLUMNS * ROWS
CROP_MARK_OFFSET, CROP_MARK_LENGTH = 3.0, 4.0  # marks start outside the bleed and stop short of the next card
BAND_HEIGHT = 16.0  # the standard layout's brand-coloured top, measured from the top cut
PRINT_LANGUAGE = "de"  # the cards go to German-speaking cardholders, whoever orders them


def card_slots() -> list[tuple[float, float]]:
    """Top-left corners of the cards' trim boxes on a sheet, row by row, centred on the page."""
    left = (SHEET_WIDTH - COLUMNS * CARD_WIDTH - (COLUMNS - 1) * GUTTER) / 2
    top = (SHEET_HEIGHT - ROWS * CARD_HEIGHT - (ROWS - 1) * GUTTER) / 2
    return [(round(left + column * (CARD_WIDTH + GUTTER), 2), round(top + row * (CARD_HEIGHT + GUTTER), 2))
            for row in range(ROWS) for column in range(COLUMNS)]


def crop_marks(slots: list[tuple[float, float]]) -> list[tuple[float, float, float, float]]:
    """Lines (x1, y1, x2, y2) that extend each card's cut lines outwards, at every corner."""
    marks = []
    near, far = CROP_MARK_OFFSET, CROP_MARK_OFFSET + CROP_MARK_LENGTH
    for left, top in slots:
        right, bottom = round(left + CARD_WIDTH, 2), round(top + CARD_HEIGHT, 2)
        for x, outward_x in ((left, -1), (right, 1)):
            for y, outward_y in ((top, -1), (bottom, 1)):
                marks.append((x, y + outward_y * near, x, y + outward_y * far))  # vertical cut line
                marks.append((x + outward_x * near, y, x + outward_x * far, y))  # horizontal cut line
    return marks


def text_colour_on(background: str) -> str:
    """Black or white, whichever reads better on the brand colour (WCAG relative luminance)."""
    def channel(hex_pair: str) -> float:
        value = int(hex_pair, 16) / 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(background[i:i + 2]) for i in (1, 3, 5))
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    return "#000000" if luminance > 0.179 else "#ffffff"


def _pdf_first_page_as_png(pdf: bytes) -> bytes:
    # WeasyPrint draws pictures, not PDF pages: a PDF design goes in as its first page at 300 dpi.
    with tempfile.TemporaryDirectory() as folder:
        source, target = Path(folder, "design.pdf"), Path(folder, "design")
        source.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-png", "-r", "300", "-f", "1", "-l", "1", "-singlefile", source, target],
                       check=True, capture_output=True, timeout=120)
        return target.with_suffix(".png").read_bytes()


def design_data_uri(order: PrintOrder) -> str | None:
    if not order.design:
        return None
    with order.design.open("rb") as design:
        data = design.read()
    if data.startswith(b"%PDF-"):
        data = _pdf_first_page_as_png(data)
    mime = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def print_order_pdf(*, order: PrintOrder, file: int = 1) -> bytes:
    """One print file of the order (see PrintOrder.print_files): its cards, CARDS_PER_SHEET to an
    A4 sheet, ready for the printer."""
    first_serial, last_serial = order.print_file_serials(file)
    cards = print_order_cards(order=order, first_serial=first_serial, last_serial=last_serial)
    slots = card_slots()
    sheets_before = math.ceil((first_serial - order.first_serial) / CARDS_PER_SHEET)
    sheets = []
    for start in range(0, len(cards), CARDS_PER_SHEET):
        chunk = cards[start:start + CARDS_PER_SHEET]
        sheets.append({
            "cards": [{"number": card.number, "activation_code": card.activation_code,
                       "barcode": mark_safe(code128_svg(card.number)), "left": left - BLEED, "top": top - BLEED}
                      for card, (left, top) in zip(chunk, slots, strict=False)],
            "marks": crop_marks(slots[:len(chunk)]),
            "number": sheets_before + len(sheets) + 1,
            "first_number": chunk[0].number, "last_number": chunk[-1].number,
        })
    merchant = order.merchant
    with schema_context(merchant.schema_name):
        # The merchant's own colour and logo from its settings, as the till and the portal show them.
        branding = shop_branding()
    logo = (f"data:image/png;base64,{base64.b64encode(branding.logo_png).decode()}"
            if branding.logo_png else None)
    context = {
        "order": order, "merchant": merchant, "sheets": sheets, "design": design_data_uri(order),
        "sheets_in_order": math.ceil(order.quantity / CARDS_PER_SHEET), "logo": logo,
        "brand_colour": branding.primary_colour, "brand_text_colour": text_colour_on(branding.primary_colour),
        "paper": {"width": SHEET_WIDTH, "height": SHEET_HEIGHT},
        "bleed_box": {"width": CARD_WIDTH + 2 * BLEED, "height": CARD_HEIGHT + 2 * BLEED, "bleed": BLEED,
                      "band_height": BAND_HEIGHT + BLEED},
        "slug_left": slots[0][0],
    }
    with translation.override(PRINT_LANGUAGE):
        html = render_to_string("hq/printing/cards.html", context)
    return weasyprint.HTML(string=html).write_pdf()
