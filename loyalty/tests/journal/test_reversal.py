"""Reversing a booking from the journal: a manager sees the button where the reversal rule allows
it, confirms what will be undone, and the booking is reversed once however often the confirmation
is sent, audited with the address; where the rule refuses there is no button and a POST books
nothing; without the right to reverse there is no button and 403."""
import re
import uuid

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.models import AuditLog, Booking
from loyalty.roles import permissions_of
from loyalty.services.bookings import booking_earn
from loyalty.tests.manage.conftest import signed_in
from loyalty.tests.staff.conftest import sign_in
from tenants.accounts.models import User
from tests.support.baseline import PASSWORD
from tests.support.factories import CardFactory

pytestmark = pytest.mark.django_db


def _buttons(html: str) -> set[int]:
    """The bookings the page offers to reverse."""
    return {int(pk) for pk in re.findall(r'href="/manage/journal/(\d+)/reverse/', html)}


def _confirm(client, booking_id: int, key=None, **data):
    return client.post(f"/manage/journal/{booking_id}/reverse/", {"key": str(key or uuid.uuid4()), **data})


def _reversals(booking_id: int) -> int:
    with schema_context("alice"):
        return Booking.objects.filter(reverses_id=booking_id).count()


def test_the_manager_sees_a_button_on_what_the_rule_lets_them_reverse(alice, ledger, manager_client):
    html = manager_client.get("/manage/journal/?kind=earn").content.decode()

    reversible = {sale.pk for sale, _cents in ledger.earns if sale.pk not in ledger.reversed_earns}
    returned = ledger.returned[0].pk  # partly returned: the rest can be returned, not reversed
    assert _buttons(html) == reversible - {returned}
    assert "Reverse" in html


def test_a_reversal_from_the_journal_books_once_however_often_it_is_sent(alice, ledger, manager_client, manager):
    sale, cents = ledger.earns[1]
    confirmation = manager_client.get(f"/manage/journal/{sale.pk}/reverse/?kind=earn")
    html = confirmation.content.decode()
    key = re.search(r'name="key" value="([^"]+)"', html).group(1)

    first = _confirm(manager_client, sale.pk, key, reason="Doppelt gebucht", back="kind=earn")
    again = _confirm(manager_client, sale.pk, key, reason="Doppelt gebucht", back="kind=earn")

    assert confirmation.status_code == 200
    assert f"−{cents // 100} points" in html and "Bonuspunkte" in html and "Reverse the booking" in html
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"]
    assert first["Location"].startswith("/manage/journal/?kind=earn#booking-")
    with schema_context("alice"):
        reversal = Booking.objects.get(reverses_id=sale.pk)
        entry = AuditLog.objects.get(action="booking.reversal", data__reverses=sale.pk)
        assert reversal.staff_user == manager and reversal.reason == "Doppelt gebucht"
        assert reversal.entries.get().amount == -(cents // 100)
    assert (entry.actor_user_id, entry.address, entry.data["reason"]) == (manager.pk, "127.0.0.1", "Doppelt gebucht")
    assert "is reversed" in manager_client.get(first["Location"]).content.decode()


def test_a_second_confirmation_of_the_same_booking_is_refused(alice, ledger, manager_client):
    sale, _cents = ledger.earns[2]

    first = _confirm(manager_client, sale.pk)
    second = _confirm(manager_client, sale.pk)

    assert first.status_code == 302
    assert second.status_code == 409
    assert "This booking has already been reversed." in second.content.decode()
    assert 'name="key"' not in second.content.decode()
    assert _reversals(sale.pk) == 1


def test_what_the_rule_refuses_has_no_button_and_a_post_books_nothing(alice, ledger, manager_client):
    """A top-up whose money was spent cannot be taken back; a reversal cannot be reversed."""
    with schema_context("alice"):
        top_up = Booking.objects.get(kind="top_up")
        undo = Booking.objects.filter(kind="reversal").first()
        audit_before = AuditLog.objects.count()
    # The card holds 37.66 € of the 50 € topped up: the top-up cannot be taken back whole.
    html = manager_client.get("/manage/journal/").content.decode()

    assert top_up.pk not in _buttons(html) and undo.pk not in _buttons(html)
    for booking in (top_up, undo):
        page = manager_client.get(f"/manage/journal/{booking.pk}/reverse/").content.decode()
        answer = _confirm(manager_client, booking.pk)

        assert 'name="key"' not in page and "cannot" in page
        assert answer.status_code in (409, 422) and "cannot" in answer.content.decode()
        assert _reversals(booking.pk) == 0
    with schema_context("alice"):
        assert AuditLog.objects.count() == audit_before


def test_without_the_right_to_reverse_there_is_no_button_and_403(alice, ledger):
    with schema_context("alice"):
        reader = User.objects.create_user("buchhaltung@alice.example", PASSWORD, full_name="Bea Buchhaltung")
        role = Group.objects.create(name="Buchhaltung")
        role.permissions.set(permissions_of(["loyalty.use_back_office", "loyalty.view_booking",
                                             "loyalty.view_card", "loyalty.add_booking"]))
        reader.groups.add(role)
    client = sign_in(alice, reader.email, HTTP_ACCEPT_LANGUAGE="en")
    sale, _cents = ledger.earns[1]

    html = client.get("/manage/journal/").content.decode()
    page = client.get(f"/manage/journal/{sale.pk}/reverse/")
    answer = _confirm(client, sale.pk)

    assert "journal-totals" in html and _buttons(html) == set()
    assert (page.status_code, answer.status_code) == (403, 403)
    assert _reversals(sale.pk) == 0


def test_a_stale_confirmation_asks_again_and_books_nothing(alice, ledger, manager_client):
    sale, _cents = ledger.earns[1]

    answer = manager_client.post(f"/manage/journal/{sale.pk}/reverse/", {"key": "not-a-key", "back": "kind=earn"})

    assert answer.status_code == 400
    assert "This confirmation has expired" in answer.content.decode()
    assert 'name="key"' in answer.content.decode()
    assert _reversals(sale.pk) == 0


def test_bob_cannot_reverse_alices_booking(alice, bob, ledger, host_client):
    sale, _cents = ledger.earns[1]
    client = signed_in(host_client(bob), bob)
    with schema_context("bob"):
        assert not Booking.objects.filter(pk=sale.pk).exists()

    assert client.get(f"/manage/journal/{sale.pk}/reverse/").status_code == 404
    assert _confirm(client, sale.pk).status_code == 404
    assert _reversals(sale.pk) == 0


def test_the_buttons_cost_the_same_queries_for_a_few_bookings_or_a_full_page(alice, ledger, manager_client):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert manager_client.get("/manage/journal/?kind=earn").status_code == 200
        return len(captured)

    few = queries()
    with schema_context("alice"):
        for index in range(30):
            booking_earn(card_number=CardFactory().number, program=ledger.points, purchase_amount_cents=500,
                         idempotency_key=f"page-{index}", actor=Actor(label="system:test"))

    assert queries() == few
