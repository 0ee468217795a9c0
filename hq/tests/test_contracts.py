"""Contracts: minimum term, renewal and notice, and what the merchant's side is told of them."""
import datetime

import pytest

from hq.models import CompanyProfile, Contract, ContractReminder
from hq.services import (
    contract_create,
    contract_notice_give,
    contract_reminders_send,
    license_count_in_force,
    merchant_status_sync,
    terminal_license_change,
)
from hq.terms import ContractTerms

D = datetime.date
STARTED = D(2026, 1, 15)


def test_contract_from_15_january_2026_ends_14_january_2028_with_notice_by_14_october_2027():
    terms = ContractTerms(starts_on=STARTED)

    assert terms.current_end(D(2026, 6, 1)) == D(2028, 1, 14)
    assert terms.notice_deadline(D(2026, 6, 1)) == D(2027, 10, 14)


def test_notice_on_the_deadline_ends_the_contract_after_the_minimum_term():
    terms = ContractTerms(starts_on=STARTED, notice_given_on=D(2027, 10, 14))

    assert terms.final_end() == D(2028, 1, 14)
    assert not terms.has_ended(D(2028, 1, 14))
    assert terms.has_ended(D(2028, 1, 15))


def test_without_notice_it_renews_to_14_january_2029():
    terms = ContractTerms(starts_on=STARTED)

    assert terms.current_end(D(2027, 10, 15)) == D(2029, 1, 14)
    assert terms.notice_deadline(D(2027, 10, 15)) == D(2028, 10, 14)
    assert not terms.has_ended(D(2029, 6, 1))


def test_late_notice_reaches_the_next_end():
    terms = ContractTerms(starts_on=STARTED, notice_given_on=D(2027, 10, 15))

    assert terms.final_end() == D(2029, 1, 14)


@pytest.mark.django_db
def test_tenant_row_follows_contract_and_notice(alice):
    contract = contract_create(merchant=alice, starts_on=STARTED, actor=None)
    merchant_status_sync(merchant=alice, today=D(2026, 6, 1))
    assert (alice.contract_status, alice.contract_ends_on, alice.notice_deadline) == (
        "active", D(2028, 1, 14), D(2027, 10, 14))

    contract_notice_give(contract=contract, given_on=D(2027, 9, 1), actor=None)
    merchant_status_sync(merchant=alice, today=D(2027, 9, 1))
    assert (alice.contract_status, alice.notice_deadline) == ("notice", None)

    merchant_status_sync(merchant=alice, today=D(2028, 1, 15))
    assert alice.contract_status == "ended"
    assert Contract.objects.get(merchant=alice).notice_given_on == D(2027, 9, 1)


@pytest.mark.django_db
def test_licence_changes_apply_from_the_month_of_the_change(alice):
    terminal_license_change(merchant=alice, count=2, effective_on=D(2026, 1, 15), actor=None)
    terminal_license_change(merchant=alice, count=5, effective_on=D(2026, 5, 20), actor=None)

    assert license_count_in_force(merchant=alice, month=D(2026, 4, 1)) == 2
    assert license_count_in_force(merchant=alice, month=D(2026, 5, 1)) == 5
    assert license_count_in_force(merchant=alice, month=D(2026, 12, 1)) == 5
    assert alice.terminal_licenses.count() == 2  # a ledger: the old row stays as it was


@pytest.mark.django_db
def test_notice_deadline_reminders_go_out_once_30_and_7_days_before(alice, mailoutbox):
    CompanyProfile.objects.create(merchant=alice, legal_name="Alice GmbH", street="Hauptstr. 1",
                                  postcode="20095", city="Hamburg", billing_email="billing@alice.example")
    contract_create(merchant=alice, starts_on=STARTED, actor=None)

    assert contract_reminders_send(today=D(2027, 9, 13)) == 0
    assert contract_reminders_send(today=D(2027, 9, 14)) == 1
    assert contract_reminders_send(today=D(2027, 9, 14)) == 0
    assert contract_reminders_send(today=D(2027, 10, 7)) == 1

    assert len(mailoutbox) == 2
    assert "billing@alice.example" in mailoutbox[0].to
    assert "2027-10-14" in mailoutbox[0].subject
    assert ContractReminder.objects.filter(contract__merchant=alice).count() == 2
