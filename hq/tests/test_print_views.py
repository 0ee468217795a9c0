"""The print order PDF on the apex host (operator staff with both factors only) and the include
that lists a merchant's orders."""
import pytest
from django.template.loader import render_to_string
from django.utils import translation

from hq.printing.selectors import print_orders_for_merchant, reorder_suggestion
from hq.printing.services import print_order_create
from hq.tests.test_print_pdf import pdf_text, submitted
from loyalty.cardnumbers import card_number_from_serial
from tenants.accounts.models import User
from tests.support.baseline import OPERATOR_EMAIL, PASSWORD
from tests.support.clients import operator_sign_in

pytestmark = pytest.mark.django_db

@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_the_operator_downloads_the_print_file(operator_client, alice):
    order = submitted(alice, 3, layout="standard")
    operator_sign_in(operator_client)

    response = operator_client.get(f"/print-orders/{order.pk}/cards-1.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="print-order-{order.pk}-alice-1.pdf"'
    text = pdf_text(response.content)
    assert "Alice’s Bakery" in text and card_number_from_serial(3) in text


def test_without_both_factors_there_is_no_print_file(operator_client, alice):
    order = submitted(alice, 3, layout="standard")
    url = f"/print-orders/{order.pk}/cards-1.pdf"

    anonymous = operator_client.get(url)
    operator_client.post("/login/", {"username": OPERATOR_EMAIL, "password": PASSWORD})
    password_only = operator_client.get(url)

    assert anonymous.status_code == 302 and anonymous["Location"] == f"/login/?next={url}"
    assert password_only.status_code == 302 and password_only["Location"].startswith("/login/")


def test_staff_rights_are_needed_even_with_both_factors(operator_client, alice):
    order = submitted(alice, 3, layout="standard")
    operator_sign_in(operator_client)
    User.objects.filter(email=OPERATOR_EMAIL).update(is_staff=False)

    response = operator_client.get(f"/print-orders/{order.pk}/cards-1.pdf")

    assert response.status_code == 403
    assert not response.content.startswith(b"%PDF")


def test_a_merchant_host_has_no_print_files(host_client, alice):
    order = submitted(alice, 3, layout="standard")

    response = host_client(alice).get(f"/print-orders/{order.pk}/cards-1.pdf")

    assert response.status_code == 404
    assert not response.content.startswith(b"%PDF")


@pytest.mark.parametrize("file", [1, 2])
def test_a_draft_has_no_print_file_and_an_order_only_its_own(operator_client, alice, file):
    operator = User.objects.get(email=OPERATOR_EMAIL)
    draft = print_order_create(merchant=alice, quantity=3, layout="standard", actor=operator)
    order = submitted(alice, 3, layout="standard")
    operator_sign_in(operator_client)

    assert operator_client.get(f"/print-orders/{draft.pk}/cards-{file}.pdf").status_code == 404
    assert operator_client.get(f"/print-orders/{order.pk}/cards-2.pdf").status_code == 404


@pytest.mark.urls("config.urls_public")
def test_the_include_lists_orders_with_range_estimate_file_and_the_reorder_hint(alice):
    order = submitted(alice, 3, layout="standard")
    draft = print_order_create(merchant=alice, quantity=7, layout="standard",
                               actor=User.objects.get(email=OPERATOR_EMAIL))

    with translation.override("en"):
        html = render_to_string("hq/printing/includes/print_orders.html", {
            "print_orders": print_orders_for_merchant(merchant=alice), "reorder": reorder_suggestion(merchant=alice),
        })

    assert f"#{order.pk}" in html and f"#{draft.pk}" in html
    assert f"{card_number_from_serial(1)} – {card_number_from_serial(3)}" in html
    assert html.count(f'href="/print-orders/{order.pk}/cards-1.pdf"') == 1
    assert f"/print-orders/{draft.pk}/" not in html
    assert order.estimated_delivery.strftime("%d/%m/%Y") in html  # English, day first
    assert "Only 0 blank cards left" not in html  # the order is on its way: no hint


@pytest.mark.urls("config.urls_public")
def test_the_include_shows_the_reorder_hint_when_cards_run_low(alice):
    with translation.override("de"):
        html = render_to_string("hq/printing/includes/print_orders.html", {
            "print_orders": print_orders_for_merchant(merchant=alice), "reorder": reorder_suggestion(merchant=alice),
        })

    assert "Nur noch 0 Blankokarten übrig" in html
    assert "Noch keine Druckaufträge." in html
