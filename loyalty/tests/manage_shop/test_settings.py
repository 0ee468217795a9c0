"""The settings page: the till's limits in euros, the company data, the logo (checked and
re-encoded) and colours with a contrast check; every change audited with before and after."""
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context
from PIL import Image, PngImagePlugin

from loyalty.models import AuditLog, ShopSettings
from loyalty.services.shop import contrast_ratio
from loyalty.tests.manage_shop.conftest import signed_in

pytestmark = pytest.mark.django_db

COMPANY = {"legal_name": "Alice Backwaren GmbH", "represented_by": "Alice Beispiel", "street": "Hauptstr. 1",
           "postal_code": "10115", "city": "Berlin", "contact_email": "hallo@alice.example",
           "contact_phone": "030 123456", "vat_id": "DE123456789", "register_entry": "Amtsgericht Berlin HRB 1",
           "privacy_contact": "datenschutz@alice.example"}


def form_data(**changes):
    data = {"reversal_window_minutes": "15", "plausibility_limit_cents": "200,00", "hard_maximum_cents": "1000,00",
            **dict.fromkeys(COMPANY, ""), "primary_colour": "#7a4a21", "background_colour": "#ffffff",
            "welcome_text": ""}
    return {**data, **changes}


def image_file(size=(800, 400), format="PNG", name=None, **save):
    data = io.BytesIO()
    Image.new("RGB", size, "#7a4a21").save(data, format=format, **save)
    return SimpleUploadedFile(name or f"logo.{format.lower()}", data.getvalue())


def settings_of(schema="alice") -> ShopSettings:
    with schema_context(schema):
        return ShopSettings.objects.get()


def test_the_tills_limits_are_typed_in_euros_and_saved_as_cents_with_an_audit(owner_client):
    response = owner_client.form("/manage/settings/", form_data(
        reversal_window_minutes="30", plausibility_limit_cents="12,50", hard_maximum_cents="500"))

    assert response.status_code == 302
    saved = settings_of()
    assert (saved.reversal_window_minutes, saved.plausibility_limit_cents, saved.hard_maximum_cents) == (30, 1_250, 50_000)
    assert saved.two_factor_required is False  # the staff page's switch is left as it was
    with schema_context("alice"):
        audit = AuditLog.objects.get(action="settings.change")
        assert audit.data == {
            "before": {"reversal_window_minutes": 15, "plausibility_limit_cents": 20_000, "hard_maximum_cents": 100_000},
            "after": {"reversal_window_minutes": 30, "plausibility_limit_cents": 1_250, "hard_maximum_cents": 50_000}}
        assert audit.actor_user.email == "owner@alice.example"
    page = owner_client.get("/manage/settings/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert 'value="12,50"' in page and 'value="500,00"' in page


def test_a_maximum_below_the_confirmation_limit_is_refused_next_to_the_field_keeping_what_was_typed(owner_client):
    refused = owner_client.form("/manage/settings/", form_data(
        plausibility_limit_cents="300", hard_maximum_cents="250,5", legal_name="Alice Backwaren GmbH"),
        HTTP_ACCEPT_LANGUAGE="en")

    page = refused.content.decode()
    assert refused.status_code == 400
    assert 'id="hard_maximum_cents-error"' in page
    assert "The maximum cannot be below the amount above which the till asks for a confirmation." in page
    assert 'value="250,5"' in page and 'value="Alice Backwaren GmbH"' in page
    assert settings_of().hard_maximum_cents == 100_000 and settings_of().legal_name == ""
    with schema_context("alice"):
        assert not AuditLog.objects.filter(action="settings.change").exists()


def test_an_amount_that_is_not_euros_is_refused(owner_client):
    refused = owner_client.form("/manage/settings/", form_data(plausibility_limit_cents="zwölf"),
                                HTTP_ACCEPT_LANGUAGE="en")

    assert refused.status_code == 400
    assert "Enter an amount in euros, like 12,50." in refused.content.decode()


@pytest.mark.parametrize(("field", "colour", "ratio"), [
    ("primary_colour", "#ffd700", "1.4"),  # white on gold
    ("background_colour", "#333333", "1.3"),  # dark text on dark grey
])
def test_colours_with_too_little_contrast_are_refused_with_the_ratio(owner_client, field, colour, ratio):
    refused = owner_client.form("/manage/settings/", form_data(**{field: colour}), HTTP_ACCEPT_LANGUAGE="en")

    page = refused.content.decode()
    assert refused.status_code == 400
    assert f'id="{field}-error"' in page
    assert f"contrast of only {ratio}:1; at least 4.5:1 is needed" in page
    assert f'value="{colour}"' in page
    assert getattr(settings_of(), field) == ("#7a4a21" if field == "primary_colour" else "#ffffff")


def test_the_contrast_ratio_is_wcags():
    assert round(contrast_ratio("#000000", "#ffffff"), 2) == 21.0
    assert round(contrast_ratio("#777777", "#ffffff"), 2) == 4.48
    assert contrast_ratio("#7a4a21", "#ffffff") >= 4.5  # the default passes


def test_company_data_and_branding_are_saved_and_the_imprint_warning_goes(owner_client):
    before = owner_client.get("/manage/settings/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    saved = owner_client.form("/manage/settings/", form_data(**COMPANY, primary_colour="#1b4d3e",
                                                              welcome_text="Schön, dass Sie da sind!"))
    after = owner_client.get("/manage/settings/", HTTP_ACCEPT_LANGUAGE="de").content.decode()

    assert "Ihr Impressum ist unvollständig." in before
    assert saved.status_code == 302
    # The back office wears the merchant's own colour from then on.
    assert "--brand: #7a4a21;" in before and "--brand: #1b4d3e;" in after
    assert "Ihr Impressum ist unvollständig." not in after
    settings = settings_of()
    assert (settings.legal_name, settings.vat_id, settings.primary_colour) == ("Alice Backwaren GmbH", "DE123456789", "#1b4d3e")
    with schema_context("alice"):
        audit = AuditLog.objects.get(action="settings.change")
        assert audit.data["before"]["legal_name"] == "" and audit.data["after"]["legal_name"] == "Alice Backwaren GmbH"
        assert audit.data["before"]["primary_colour"] == "#7a4a21"
        assert "reversal_window_minutes" not in audit.data["after"]  # unchanged, not recorded


def test_saving_nothing_new_writes_no_audit_row(owner_client):
    assert owner_client.form("/manage/settings/", form_data()).status_code == 302
    with schema_context("alice"):
        assert not AuditLog.objects.filter(action="settings.change").exists()


def test_a_logo_is_re_encoded_as_a_png_of_at_most_512_px_without_its_metadata(owner_client):
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "secret location 52.52,13.40")
    upload = image_file(size=(2000, 1000), pnginfo=info)

    response = owner_client.post("/manage/settings/logo/", {"logo": upload,
                                                            "csrfmiddlewaretoken": owner_client.csrf()})

    assert response.status_code == 302
    stored = bytes(settings_of().logo_png)
    assert b"secret location" not in stored
    image = Image.open(io.BytesIO(stored))
    assert image.format == "PNG" and image.size == (512, 256)
    assert "Comment" not in image.info
    with schema_context("alice"):
        audit = AuditLog.objects.get(action="settings.logo")
        assert audit.data["before"] == {"logo": None} and len(audit.data["after"]["logo"]) == 12


def test_a_jpeg_with_exif_loses_it(owner_client):
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # the camera's make
    upload = image_file(format="JPEG", exif=exif.tobytes())

    assert owner_client.post("/manage/settings/logo/", {"logo": upload, "csrfmiddlewaretoken": owner_client.csrf()}).status_code == 302
    stored = bytes(settings_of().logo_png)
    assert b"PhoneMaker" not in stored and Image.open(io.BytesIO(stored)).format == "PNG"


@pytest.mark.parametrize(("upload", "message"), [
    (lambda: image_file(format="GIF"), "This file is not a PNG, JPEG or WebP image."),
    (lambda: SimpleUploadedFile("logo.png", b"<svg xmlns='http://www.w3.org/2000/svg'></svg>"),
     "This file is not a PNG, JPEG or WebP image."),
    (lambda: SimpleUploadedFile("logo.png", b"\x89PNG\r\n\x1a\n" + b"\0" * (2 * 1024 * 1024)),
     "The logo may be at most 2 MB"),
    # 100 megapixels in a few kilobytes: a decompression bomb.
    (lambda: _bomb(), "This image is too large to open safely"),
])
def test_anything_but_a_small_png_jpeg_or_webp_is_refused_with_a_clear_message(owner_client, upload, message):
    response = owner_client.post("/manage/settings/logo/", {"logo": upload(), "csrfmiddlewaretoken": owner_client.csrf()},
                                 HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert message in response.content.decode()
    assert settings_of().logo_png is None
    with schema_context("alice"):
        assert not AuditLog.objects.filter(action="settings.logo").exists()


def _bomb():
    data = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(data, format="PNG")
    assert len(data.getvalue()) < 2 * 1024 * 1024
    return SimpleUploadedFile("bomb.png", data.getvalue())


def test_the_logo_is_served_with_its_version_and_a_long_cache(alice, owner_client, host_client):
    owner_client.post("/manage/settings/logo/", {"logo": image_file(format="WEBP"), "csrfmiddlewaretoken": owner_client.csrf()})
    page = owner_client.get("/manage/settings/").content.decode()
    url = page.split('id="current-logo"')[0].rsplit('src="', 1)[1].split('"')[0]
    visitor = host_client(alice)

    served = visitor.get(url)
    stale = visitor.get("/logo/000000000000.png")

    assert url.startswith("/logo/") and url.endswith(".png")
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert served.content == bytes(settings_of().logo_png)
    assert "max-age=31536000" in served["Cache-Control"] and "public" in served["Cache-Control"]
    assert stale.status_code == 302 and stale["Location"] == url
    assert url in visitor.get("/").content.decode()  # the portal shows it

    removed = owner_client.form("/manage/settings/logo/", {"remove": "1"})
    assert removed.status_code == 302 and settings_of().logo_png is None
    assert visitor.get(url).status_code == 404


@pytest.mark.parametrize("other", ["bob", "charlie"])
def test_alices_settings_are_not_seen_from_other_back_offices_or_portals(alice, owner_client, other, request, host_client):
    merchant = request.getfixturevalue(other)
    owner_client.form("/manage/settings/", form_data(**COMPANY, welcome_text="Willkommen bei Alice"))
    owner_client.post("/manage/settings/logo/", {"logo": image_file(), "csrfmiddlewaretoken": owner_client.csrf()})
    logo_url = owner_client.get("/").content.decode().split('class="topbar-logo"')[0].rsplit('src="', 1)[1].split('"')[0]

    back_office = signed_in(merchant).get("/manage/settings/").content.decode()
    visitor = host_client(merchant)
    portal = "".join(visitor.get(path).content.decode() for path in ("/", "/impressum/", "/datenschutz/"))

    for secret in ("Alice Backwaren GmbH", "DE123456789", "hallo@alice.example", "Willkommen bei Alice"):
        assert secret not in back_office and secret not in portal
    assert visitor.get(logo_url).status_code == 404
    assert settings_of(other).legal_name == "" and settings_of(other).logo_png is None


def test_the_till_shows_the_main_colour_and_the_logo(alice, owner_client, till_client):
    owner_client.form("/manage/settings/", form_data(primary_colour="#1b4d3e"))
    owner_client.post("/manage/settings/logo/", {"logo": image_file(), "csrfmiddlewaretoken": owner_client.csrf()})

    till = till_client(alice).get("/pos/").content.decode()

    assert ":root { --brand: #1b4d3e; }" in till
    assert 'class="topbar-logo"' in till and 'src="/logo/' in till
