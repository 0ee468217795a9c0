"""The operator's licence change agreed for a later month reaches the merchant's terminals page
through the tenant row (the merchant side never reads hq)."""
import datetime

import pytest
from django.utils import timezone

from hq.models import TerminalLicense
from hq.services import merchant_status_sync, terminal_license_change
from tenants.accounts.models import User
from tests.support.baseline import OPERATOR_EMAIL, PASSWORD, owner_email
from tests.support.clients import HostClient

pytestmark = pytest.mark.django_db


def terminals_page(merchant, language):
    client = HostClient(merchant.primary_host)
    assert client.post("/manage/login/", {"username": owner_email(merchant.schema_name),
                                          "password": PASSWORD}).status_code == 302
    return client.get("/manage/terminals/", HTTP_ACCEPT_LANGUAGE=language).content.decode()


def test_the_next_change_after_this_month_is_written_onto_the_tenant_and_shown(alice):
    this_month = timezone.localdate().replace(day=1)
    next_month = (this_month + datetime.timedelta(days=32)).replace(day=1)
    in_two_months = (next_month + datetime.timedelta(days=32)).replace(day=1)
    TerminalLicense.objects.create(merchant=alice, count=2, effective_month=this_month)
    TerminalLicense.objects.create(merchant=alice, count=2, effective_month=next_month)  # no change
    TerminalLicense.objects.create(merchant=alice, count=3, effective_month=in_two_months)

    merchant_status_sync(merchant=alice)

    alice.refresh_from_db()
    assert (alice.terminal_limit, alice.terminal_limit_next, alice.terminal_limit_next_from) == (2, 3, in_two_months)
    month_en = in_two_months.strftime("%B %Y")
    assert f"From {month_en}: 3 terminals" in terminals_page(alice, "en")
    assert "Ab " in terminals_page(alice, "de") and ": 3 Terminals" in terminals_page(alice, "de")

    # In that month the change is in force and nothing further is coming.
    merchant_status_sync(merchant=alice, today=in_two_months)
    alice.refresh_from_db()
    assert (alice.terminal_limit, alice.terminal_limit_next, alice.terminal_limit_next_from) == (3, None, None)
    assert 'id="licence-next"' not in terminals_page(alice, "en")


def test_a_licence_change_for_later_is_written_onto_the_tenant_at_once(alice):
    operator = User.objects.get(email=OPERATOR_EMAIL)
    later = (timezone.localdate().replace(day=1) + datetime.timedelta(days=100)).replace(day=1)

    terminal_license_change(merchant=alice, count=5, effective_on=later, actor=operator)

    alice.refresh_from_db()
    assert (alice.terminal_limit_next, alice.terminal_limit_next_from) == (5, later)
