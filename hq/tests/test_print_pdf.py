"""The print-ready PDF: every card of the range with number, barcode and activation code, on A4
sheets with crop marks, as pdftotext and pdftoppm (poppler) see it."""
import io
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context
from PIL import Image

from hq.models import print_orders as print_order_models
from hq.printing.pdf import (
    BLEED,
    CARD_HEIGHT,
    CARD_WIDTH,
    CARDS_PER_SHEET,
    CROP_MARK_OFFSET,
    SHEET_HEIGHT,
    SHEET_WIDTH,
    card_slots,
    crop_marks,
    print_order_pdf,
    text_colour_on,
)
from hq.printing.services import print_order_create, print_order_submit
from loyalty.actors import Actor
from loyalty.barcode import QUIET_ZONE_MODULES, code128_widths
from loyalty.cardnumbers import card_number_from_serial
from loyalty.models import Card
from loyalty.services.shop import shop_logo_replace, shop_settings_update
from tenants.accounts.models import User
from tests.support.baseline import OPERATOR_EMAIL

MM_PER_INCH = 25.4


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def submitted(merchant, quantity, **kwargs):
    operator = User.objects.get(email=OPERATOR_EMAIL)
    order = print_order_create(merchant=merchant, quantity=quantity, actor=operator, **kwargs)
    return print_order_submit(order=order, actor=operator)


def pdf_text(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def pdf_page_png(pdf: bytes, *, page: int, dpi: int, area_mm: tuple[float, float, float, float] | None = None) -> Image.Image:
    """One page as a picture; `area_mm` (left, top, width, height) crops it."""
    crop = []
    if area_mm:
        crop = [str(round(value * dpi / MM_PER_INCH)) for value in area_mm]
        crop = ["-x", crop[0], "-y", crop[1], "-W", crop[2], "-H", crop[3]]
    png = subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page), *crop, "-"],
                         input=pdf, capture_output=True, check=True).stdout
    return Image.open(io.BytesIO(png)).convert("RGB")


def pixel_at(page: Image.Image, x_mm: float, y_mm: float, *, dpi: int) -> tuple[int, int, int]:
    return page.getpixel((round(x_mm * dpi / MM_PER_INCH), round(y_mm * dpi / MM_PER_INCH)))


def close_to(colour: tuple[int, int, int], expected: tuple[int, int, int]) -> bool:
    return all(abs(a - b) < 12 for a, b in zip(colour, expected, strict=True))


def pdf_page_count(pdf: bytes) -> int:
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


@pytest.mark.django_db
def test_the_pdf_holds_every_card_number_activation_code_and_the_merchants_name(alice):
    order = submitted(alice, 10, layout="standard")
    with schema_context("alice"):
        cards = list(Card.objects.order_by("number"))

    pdf = print_order_pdf(order=order)

    text = pdf_text(pdf)
    assert pdf.startswith(b"%PDF-")
    assert text.count("Alice’s Bakery") >= 10
    for card in cards:
        assert card.number in text and card.activation_code in text, card.number
    assert card_number_from_serial(11) not in text
    assert "KUNDENKARTE" in text and "Aktivierungscode" in text  # printed in German
    assert pdf_page_count(pdf) == 2  # 8 cards on the first sheet, 2 on the second


@pytest.mark.django_db
def test_the_pdf_shows_only_its_own_range(alice):
    first = submitted(alice, 3, layout="standard")
    second = submitted(alice, 3, layout="standard")

    text = pdf_text(print_order_pdf(order=second))

    assert [card_number_from_serial(s) in text for s in range(1, 7)] == [False] * 3 + [True] * 3
    assert first.last_serial == 3


@pytest.mark.django_db
def test_a_large_order_comes_in_print_files_that_together_hold_every_card_once(alice, monkeypatch):
    monkeypatch.setattr(print_order_models, "CARDS_PER_PRINT_FILE", 16)
    order = submitted(alice, 20, layout="standard")

    first, second = (pdf_text(print_order_pdf(order=order, file=file)) for file in order.print_files)

    assert list(order.print_files) == [1, 2]
    assert [card_number_from_serial(s) in first for s in range(1, 21)] == [True] * 16 + [False] * 4
    assert [card_number_from_serial(s) in second for s in range(1, 21)] == [False] * 16 + [True] * 4
    assert "Bogen 3 von 3" in second and "Bogen 1 von 3" not in second
    with pytest.raises(ValueError):
        print_order_pdf(order=order, file=3)


@pytest.mark.django_db
def test_the_sheets_are_a4_with_cards_in_the_brand_colour_where_the_layout_puts_them(alice):
    with schema_context("alice"):
        shop_settings_update(primary_colour="#1f6f3f", actor=Actor(label="test"))
    order = submitted(alice, CARDS_PER_SHEET + 1, layout="standard")
    pdf = print_order_pdf(order=order)
    dpi = 50
    first, second = (pdf_page_png(pdf, page=page, dpi=dpi) for page in (1, 2))
    slots = card_slots()

    assert abs(first.width - SHEET_WIDTH * dpi / MM_PER_INCH) < 1
    assert abs(first.height - SHEET_HEIGHT * dpi / MM_PER_INCH) < 1
    # The top band of each card (its right end, clear of the name) is brand green; sheet 2 has one card.
    band = [pixel_at(page, left + CARD_WIDTH - 2, top + 2, dpi=dpi) for page in (first, second) for left, top in slots]
    green = [close_to(colour, (0x1F, 0x6F, 0x3F)) for colour in band]
    assert green == [True] * CARDS_PER_SHEET + [True] + [False] * (CARDS_PER_SHEET - 1)


@pytest.mark.django_db
def test_the_merchants_logo_from_its_settings_is_on_each_standard_card(alice):
    logo = io.BytesIO()
    Image.new("RGB", (64, 64), "#d01010").save(logo, format="PNG")
    with schema_context("alice"):
        shop_logo_replace(upload=SimpleUploadedFile("logo.png", logo.getvalue(), content_type="image/png"),
                          actor=Actor(label="test"))
    order = submitted(alice, 2, layout="standard")
    dpi = 100
    page = pdf_page_png(print_order_pdf(order=order), page=1, dpi=dpi)
    left, top = card_slots()[0]

    # In the band, left of the name: the logo's red, where the band alone would be brown.
    assert close_to(pixel_at(page, left + 8, top + 7, dpi=dpi), (0xD0, 0x10, 0x10))


@pytest.mark.django_db
def test_the_printed_barcode_carries_the_card_number(alice):
    order = submitted(alice, 1, layout="standard")
    number = card_number_from_serial(1)
    left, top = card_slots()[0]
    dpi = 1200
    # A thin strip across the middle of the barcode (see the template: the panel's top left is 3 mm
    # and 18.5 mm into the card, the barcode 1.5 mm into the panel and 53 mm by 11 mm).
    strip = pdf_page_png(print_order_pdf(order=order), page=1, dpi=dpi,
                         area_mm=(left + 3, top + 18.5 + 1.5 + 5.5, 55, 0.5))

    row = [1 if sum(strip.getpixel((x, 0))) < 3 * 128 else 0 for x in range(strip.width)]
    runs = []
    for bit in row:
        if runs and runs[-1][0] == bit:
            runs[-1][1] += 1
        else:
            runs.append([bit, 1])
    bars_and_spaces = [length for _, length in runs[1:-1]]  # inside the quiet zones
    expected = [int(width) for width in code128_widths(number)]
    module = (strip.width * 53 / 55) / (sum(expected) + 2 * QUIET_ZONE_MODULES)

    assert runs[0][0] == 0 and runs[-1][0] == 0
    assert [round(length / module) for length in bars_and_spaces] == expected


@pytest.mark.django_db
@pytest.mark.parametrize("file_type", ["PNG", "PDF"])  # a PDF design goes in as its first page
def test_a_custom_design_is_the_cards_background(alice, file_type):
    design = io.BytesIO()
    Image.new("RGB", (856, 540), (200, 20, 20)).save(design, format=file_type)
    order = submitted(alice, 2, layout="custom",
                      design=SimpleUploadedFile(f"design.{file_type.lower()}", design.getvalue()))
    pdf = print_order_pdf(order=order)
    left, top = card_slots()[0]

    corner = pixel_at(pdf_page_png(pdf, page=1, dpi=50), left + CARD_WIDTH - 3, top + 3, dpi=50)

    assert close_to(corner, (200, 20, 20)), corner
    assert card_number_from_serial(1) in pdf_text(pdf)


@pytest.mark.django_db
def test_a_draft_has_no_pdf(alice):
    operator = User.objects.get(email=OPERATOR_EMAIL)
    draft = print_order_create(merchant=alice, quantity=5, layout="standard", actor=operator)

    with pytest.raises(ValueError):
        print_order_pdf(order=draft)


def test_cards_fit_the_a4_sheet_with_their_bleed():
    for left, top in card_slots():
        assert left - BLEED >= 5 and top - BLEED >= 5
        assert left + CARD_WIDTH + BLEED <= SHEET_WIDTH - 5 and top + CARD_HEIGHT + BLEED <= SHEET_HEIGHT - 5


def test_crop_marks_meet_every_corner_and_stay_out_of_every_cards_bleed():
    slots = card_slots()
    marks = crop_marks(slots)
    bleed_boxes = [(left - BLEED, top - BLEED, left + CARD_WIDTH + BLEED, top + CARD_HEIGHT + BLEED)
                   for left, top in slots]

    assert len(marks) == 8 * len(slots)
    for x1, y1, x2, y2 in marks:
        assert x1 == x2 or y1 == y2  # straight along a cut line
        for box_left, box_top, box_right, box_bottom in bleed_boxes:
            inside_x = box_left < max(x1, x2) and min(x1, x2) < box_right
            inside_y = box_top < max(y1, y2) and min(y1, y2) < box_bottom
            assert not (inside_x and inside_y), (x1, y1, x2, y2)
    left, top = slots[0]
    assert (left, top - CROP_MARK_OFFSET, left, top - CROP_MARK_OFFSET - 4.0) in marks


@pytest.mark.parametrize(("brand", "text"), [("#7a4a21", "#ffffff"), ("#ffe600", "#000000"),
                                             ("#000000", "#ffffff"), ("#ffffff", "#000000")])
def test_the_name_on_the_brand_colour_is_black_or_white_whichever_reads_better(brand, text):
    assert text_colour_on(brand) == text
