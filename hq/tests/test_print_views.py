"""The print files on the apex host (operator staff with both factors only), and the include that
shows a merchant's orders on the console's merchant page."""
import pytest
from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import translation

from hq.models import PrintFile
from hq.printing.services import print_order_create
from hq.tests.test_print_pdf import submitted
from loyalty.cardnumbers import card_number_from_serial
from tenants.accounts.models import User
from tests.support.baseline import OPERATOR_EMAIL, PASSWORD
from tests.support.clients import operator_sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def stored(order, part=1, content=b"%PDF-1.7 the cards"):
    print_file = PrintFile(order=order, part=part, size=len(content))
    print_file.file.save(f"{part}.pdf", ContentFile(content), save=False)
    print_file.save()
    return print_file


def test_the_operator_downloads_a_built_print_file_as_an_attachment(operator_client, alice):
    order = submitted(alice, 3, layout="standard")
    stored(order)
    operator_sign_in(operator_client)

    response = operator_client.get(f"/print-orders/{order.pk}/files/1.pdf", HTTP_ACCEPT_LANGUAGE="de")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''Alice%E2%80%99s%20Bakery%20%E2%80%93%203%20Karten%20%E2%80%93%20"
        "Teil%201%20von%201.pdf")
    assert b"".join(response.streaming_content) == b"%PDF-1.7 the cards"


def test_a_file_not_built_is_404(operator_client, alice):
    order = submitted(alice, 3, layout="standard")
    operator_sign_in(operator_client)

    assert operator_client.get(f"/print-orders/{order.pk}/files/1.pdf").status_code == 404
    assert operator_client.get(f"/print-orders/{order.pk + 1000}/files/1.pdf").status_code == 404


def test_without_both_factors_there_is_no_print_file(operator_client, alice):
    order = submitted(alice, 3, layout="standard")
    stored(order)
    url = f"/print-orders/{order.pk}/files/1.pdf"

    anonymous = operator_client.get(url)
    operator_client.post("/login/", {"username": OPERATOR_EMAIL, "password": PASSWORD})
    password_only = operator_client.get(url)

    assert anonymous.status_code == 302 and anonymous["Location"] == f"/login/?next={url}"
    assert password_only.status_code == 302 and password_only["Location"].startswith("/login/")


def test_staff_rights_are_needed_even_with_both_factors(operator_client, alice):
    order = submitted(alice, 3, layout="standard")
    stored(order)
    operator_sign_in(operator_client)
    User.objects.filter(email=OPERATOR_EMAIL).update(is_staff=False)

    responses = [operator_client.get(f"/print-orders/{order.pk}/files/1.pdf"),
                 operator_client.post(f"/print-orders/{order.pk}/files/"),
                 operator_client.post(f"/print-orders/{order.pk}/step/", {"to_status": "in_production"})]

    assert [response.status_code for response in responses] == [403, 403, 403]
    assert not any(response.content.startswith(b"%PDF") for response in responses[:1])
    order.refresh_from_db()
    assert order.status == "ordered"


def test_a_merchant_host_has_no_print_files(host_client, alice):
    order = submitted(alice, 3, layout="standard")
    stored(order)

    response = host_client(alice).get(f"/print-orders/{order.pk}/files/1.pdf")

    assert response.status_code == 404
    assert not response.content.startswith(b"%PDF")


def _include(merchant, language):
    request = RequestFactory().get("/")
    with translation.override(language):
        return render_to_string("hq/printing/includes/print_orders.html", {"merchant": merchant}, request=request)


@pytest.mark.urls("config.urls_public")
def test_the_include_lists_orders_with_range_estimate_steps_and_no_hint_while_one_is_open(alice):
    order = submitted(alice, 3, layout="standard")
    draft = print_order_create(merchant=alice, quantity=7, layout="standard",
                               actor=User.objects.get(email=OPERATOR_EMAIL))

    html = _include(alice, "en")

    assert f'id="print-order-{order.pk}"' in html and f'id="print-order-{draft.pk}"' in html
    assert (f'<span class="card-number">{card_number_from_serial(1)}</span> – '
            f'<span class="card-number">{card_number_from_serial(3)}</span>') in html
    assert f'action="/print-orders/{order.pk}/files/"' in html  # the build button: none for a draft
    assert f'action="/print-orders/{draft.pk}/files/"' not in html
    assert order.estimated_delivery.strftime("%d/%m/%Y") in html  # English, day first
    assert "Build the print file" in html and "Submit the order …" in html and "Mark as in print" in html
    assert "blank cards left" not in html  # orders are open: no hint


@pytest.mark.urls("config.urls_public")
def test_the_include_shows_the_reorder_hint_when_cards_run_low(alice):
    html = _include(alice, "de")

    assert "Nur noch 0 Blankokarten übrig" in html
    assert "Noch keine Druckaufträge." in html
    assert f'action="/print-orders/new/{alice.pk}/"' in html
