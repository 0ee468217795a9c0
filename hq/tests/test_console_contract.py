"""The console's contract and licence forms: dates filled in ISO in every language, a licence month
said plainly, a confirmation before a licence cut or a notice, a notice withdrawn before its
deadline, forms that come back as typed, and the invoice the next monthly run makes previewed."""
import datetime
import re

import pytest
from django.core.exceptions import ValidationError

from hq.models import CompanyProfile, Contract, OperatorAuditLog, TerminalLicense
from hq.services import (
    contract_create,
    contract_notice_give,
    contract_notice_withdraw,
    terminal_license_change,
)
from tests.support.clients import operator_sign_in

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = D(2026, 12, 2)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    """The console's today: 2 December 2026 (the contract terms and the months offered depend on it)."""
    import django.utils.timezone

    monkeypatch.setattr(django.utils.timezone, "localdate", lambda *args, **kwargs: TODAY)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    """The console's today: 2 December 2026 (the contract terms and the months offered depend on it)."""
    import django.utils.timezone

    monkeypatch.setattr(django.utils.timezone, "localdate", lambda *args, **kwargs: TODAY)


@pytest.fixture
def console(operator_client, alice, bob, charlie):
    """Signed in to the console; alice, bob and charlie each with a contract from 15 January 2026
    and four terminals."""
    for merchant in (alice, bob, charlie):
        contract_create(merchant=merchant, starts_on=D(2026, 1, 15), actor=None)
        terminal_license_change(merchant=merchant, count=4, effective_on=D(2026, 1, 15), actor=None)
    operator_sign_in(operator_client)
    return operator_client


def _page(client, merchant, language="de"):
    return client.get(f"/merchants/{merchant.pk}/", headers={"Accept-Language": language}).content.decode()


def _licences(merchant):
    return list(TerminalLicense.objects.filter(merchant=merchant).values_list("count", "effective_month"))


@pytest.mark.parametrize("language", ["de", "en"])
def test_date_inputs_come_filled_in_iso_in_every_language(console, alice, language):
    client = console

    page = _page(client, alice, language)
    onboarding = client.get("/merchants/new/", headers={"Accept-Language": language}).content.decode()

    assert re.search(r'<input type="date" name="given_on" value="2026-12-02"', page)
    assert re.search(r'<input type="date" name="contract_start" value="2026-12-02"', onboarding)


def test_the_licence_month_is_offered_and_listed_plainly(console, alice):
    client = console

    page = _page(client, alice)

    assert '<option value="2027-01-01">Januar 2027</option>' in page
    assert '<option value="2026-12-01" selected>Dezember 2026</option>' in page
    assert "ab 15. Januar 2026" not in page and "ab 1. Januar 2026" in page  # the licence row
    english = _page(client, alice, "en")
    assert '<option value="2027-01-01">January 2027</option>' in english


def test_more_terminals_take_effect_at_once_and_say_from_when(console, alice, bob, charlie):
    client = console

    response = client.post(f"/merchants/{alice.pk}/licence/", {"count": 6, "effective_on": "2027-01-01"},
                           headers={"Accept-Language": "de"}, follow=True)

    assert (6, D(2027, 1, 1)) in _licences(alice)
    assert "Ab 1. Januar 2027: 6 Terminals." in response.content.decode()
    assert _licences(bob) == _licences(charlie) == [(4, D(2026, 1, 1))]


def test_a_licence_cut_asks_first_and_changes_nothing_until_confirmed(console, alice):
    client = console
    data = {"count": 2, "effective_on": "2027-01-01", "reason": "Filiale geschlossen"}
    audited = OperatorAuditLog.objects.count()

    asked = client.post(f"/merchants/{alice.pk}/licence/", data, headers={"Accept-Language": "de"})

    page = asked.content.decode()
    assert asked.status_code == 200
    assert "von 4 auf 2 Terminals ab 1. Januar 2027" in page
    assert '<input type="hidden" name="reason" value="Filiale geschlossen">' in page
    assert _licences(alice) == [(4, D(2026, 1, 1))]
    assert OperatorAuditLog.objects.count() == audited

    done = client.post(f"/merchants/{alice.pk}/licence/", {**data, "confirmed": "1"})

    assert done.status_code == 302
    assert (2, D(2027, 1, 1)) in _licences(alice)
    assert OperatorAuditLog.objects.filter(action="license.change", merchant=alice).latest("id").after == {
        "count": 2, "month": "2027-01-01", "reason": "Filiale geschlossen"}


@pytest.mark.parametrize("month", ["2026-11-01", "2026-12-15", "2029-01-01", "soon"])
def test_a_month_not_offered_is_refused_and_the_form_comes_back_as_typed(console, alice, month):
    client = console

    response = client.post(f"/merchants/{alice.pk}/licence/", {"count": 7, "effective_on": month,
                                                               "reason": "Neue Kasse"},
                           headers={"Accept-Language": "de"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Wählen Sie einen der angebotenen Monate" in page
    assert 'name="count" value="7"' in page and 'value="Neue Kasse"' in page
    assert _licences(alice) == [(4, D(2026, 1, 1))]


def test_a_notice_asks_first_names_the_end_and_is_recorded_when_confirmed(console, alice, bob):
    client = console

    asked = client.post(f"/merchants/{alice.pk}/notice/", {"given_on": "2026-12-02"},
                        headers={"Accept-Language": "de"})

    assert "endet der Vertrag am 14. Januar 2028" in asked.content.decode()
    assert Contract.objects.get(merchant=alice).notice_given_on is None

    client.post(f"/merchants/{alice.pk}/notice/", {"given_on": "2026-12-02", "confirmed": "1"})

    assert Contract.objects.get(merchant=alice).notice_given_on == TODAY
    assert Contract.objects.get(merchant=bob).notice_given_on is None
    alice.refresh_from_db()
    assert (alice.contract_status, alice.contract_ends_on) == ("notice", D(2028, 1, 14))


def test_a_notice_is_withdrawn_before_its_deadline_after_a_confirmation(console, alice):
    client = console
    contract_notice_give(contract=Contract.objects.get(merchant=alice), given_on=D(2026, 11, 20), actor=None)
    assert "Kündigung zurücknehmen" in _page(client, alice)

    asked = client.post(f"/merchants/{alice.pk}/notice/withdraw/", headers={"Accept-Language": "de"})
    assert "bis zum 14. Januar 2028" in asked.content.decode()
    assert Contract.objects.get(merchant=alice).notice_given_on == D(2026, 11, 20)

    client.post(f"/merchants/{alice.pk}/notice/withdraw/", {"confirmed": "1"})

    alice.refresh_from_db()
    assert alice.contract.notice_given_on is None
    assert (alice.contract_status, alice.notice_deadline) == ("active", D(2027, 10, 14))
    entry = OperatorAuditLog.objects.filter(action="contract.notice_withdraw", merchant=alice).get()
    assert entry.before == {"notice_given_on": "2026-11-20", "ends_on": "2028-01-14"}


def test_a_notice_past_its_deadline_cannot_be_withdrawn(console, alice):
    client = console
    contract = Contract.objects.get(merchant=alice)
    contract.starts_on = D(2025, 2, 1)  # ends 31 January 2027; the deadline was 31 October 2026
    contract.save(update_fields=["starts_on"])
    contract_notice_give(contract=contract, given_on=D(2026, 10, 1), actor=None)

    assert "Kündigung zurücknehmen" not in _page(client, alice)
    with pytest.raises(ValidationError) as refused:
        contract_notice_withdraw(contract=contract, actor=None)
    assert refused.value.code == "notice_not_withdrawable"
    client.post(f"/merchants/{alice.pk}/notice/withdraw/", {"confirmed": "1"})

    assert Contract.objects.get(merchant=alice).notice_given_on == D(2026, 10, 1)
    assert not OperatorAuditLog.objects.filter(action="contract.notice_withdraw").exists()


def test_the_invoice_the_next_run_makes_is_previewed_with_its_amounts(console, alice, bob):
    client = console
    CompanyProfile.objects.create(merchant=alice, legal_name="Alice GmbH", street="Weg 1", postcode="20095",
                                  city="Hamburg", billing_email="b@alice.example")

    page = " ".join(_page(client, alice).split())
    without_company = " ".join(_page(client, bob).split())

    assert "Rechnung für Dezember 2026" in page
    assert "4 Terminals × 19,90 € = 79,60 € netto" in page
    assert "15,12 €" in page and "94,72 €" in page
    assert "erstellt vom Monatslauf am 1. Januar 2027" in page
    assert "kein Firmenprofil" in without_company
