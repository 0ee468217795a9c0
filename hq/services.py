"""The operator's writes: contracts, notice, terminal licences, and what the merchant's side is
told of them (its tenant row)."""
import dataclasses
import datetime

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hq.audit import fields_of, operator_audit
from hq.models import CompanyProfile, Contract, ContractReminder, TerminalLicense
from hq.terms import ContractTerms
from tenants.models import ContractStatus, Merchant
from tenants.routing import merchants_changed

REMINDER_DAYS_BEFORE_DEADLINE = (30, 7)
# A licence change takes effect from the first of a month: this one (it is billed from the month of
# the change) or one of the next two years'.
LICENCE_MONTHS_AHEAD = 24


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def next_month(day: datetime.date) -> datetime.date:
    return month_start(day) + relativedelta(months=1)


def licence_months(*, today: datetime.date) -> list[datetime.date]:
    """The months a licence change can be made to take effect from, the first of each."""
    first = month_start(today)
    return [first + relativedelta(months=ahead) for ahead in range(LICENCE_MONTHS_AHEAD + 1)]


@dataclasses.dataclass(frozen=True)
class LicenceChange:
    """What a licence change would do: from which month, from how many terminals to how many."""

    month: datetime.date
    before: int
    after: int

    @property
    def is_cut(self) -> bool:
        """Fewer terminals: tills beyond the new count stop booking from that month."""
        return self.after < self.before


def licence_change_preview(*, merchant: Merchant, count: int, effective_on: datetime.date) -> LicenceChange:
    month = month_start(effective_on)
    return LicenceChange(month=month, before=license_count_in_force(merchant=merchant, month=month), after=count)


def license_in_force(*, merchant: Merchant, month: datetime.date) -> TerminalLicense | None:
    """The licence change in force for a month: the latest one in force by its first day."""
    return (TerminalLicense.objects.filter(merchant=merchant, effective_month__lte=month_start(month))
            .order_by("-effective_month", "-id").first())


def license_count_in_force(*, merchant: Merchant, month: datetime.date) -> int:
    """The licensed terminal count for a month (0 before the first licence)."""
    change = license_in_force(merchant=merchant, month=month)
    return change.count if change else 0


def license_change_coming(*, merchant: Merchant, month: datetime.date) -> tuple[int | None, datetime.date | None]:
    """The first later month whose licensed count differs from this month's, with that count."""
    in_force = license_count_in_force(merchant=merchant, month=month)
    later_months = (TerminalLicense.objects.filter(merchant=merchant, effective_month__gt=month_start(month))
                    .order_by("effective_month").values_list("effective_month", flat=True).distinct())
    for later_month in later_months:
        count = license_count_in_force(merchant=merchant, month=later_month)
        if count != in_force:
            return count, later_month
    return None, None


def merchant_status_sync(*, merchant: Merchant, today: datetime.date | None = None,
                         actor="system:contracts") -> Merchant:
    """Write the contract's state, the licence in force and the next licence change already agreed
    onto the tenant row (audited when it changes anything)."""
    today = today or timezone.localdate()
    contract = Contract.objects.filter(merchant=merchant).first()
    if contract is None or not contract.notice_given_on:
        status = ContractStatus.ACTIVE
    else:
        status = ContractStatus.ENDED if contract.has_ended(today) else ContractStatus.NOTICE_GIVEN
    next_count, next_from = license_change_coming(merchant=merchant, month=today)
    fields = {
        "contract_status": status,
        "terminal_limit": license_count_in_force(merchant=merchant, month=today),
        "terminal_limit_next": next_count,
        "terminal_limit_next_from": next_from,
        "contract_ends_on": contract.ends_on(today) if contract else None,
        "notice_deadline": contract.notice_deadline(today) if contract else None,
    }
    before = fields_of(Merchant.objects.get(pk=merchant.pk), *fields)
    Merchant.objects.filter(pk=merchant.pk).update(**fields)
    merchants_changed()
    merchant.refresh_from_db(fields=list(fields))
    if before != fields_of(merchant, *fields):
        operator_audit(actor=actor, action="merchant.status", merchant=merchant, target=merchant,
                       before=before, after=fields_of(merchant, *fields))
    return merchant


@transaction.atomic
def terminal_license_change(*, merchant: Merchant, count: int, effective_on: datetime.date, actor,
                            reason: str = "") -> TerminalLicense:
    """A new licence count, billed from the month of the change on ("ab dem Monat der Anpassung")."""
    if count < 0:
        raise ValueError("A terminal count cannot be negative.")
    month = month_start(effective_on)
    before = license_count_in_force(merchant=merchant, month=month)
    change = TerminalLicense.objects.create(
        merchant=merchant, count=count, effective_month=month, reason=reason, changed_by=actor,
    )
    operator_audit(actor=actor, action="license.change", merchant=merchant, target=change,
                   before={"count": before, "month": month},
                   after={"count": count, "month": month, "reason": reason})
    merchant_status_sync(merchant=merchant, actor=actor)
    return change


@transaction.atomic
def contract_create(*, merchant: Merchant, starts_on: datetime.date, actor, minimum_term_months: int = 24,
                    renewal_months: int = 12, notice_months: int = 3) -> Contract:
    contract = Contract.objects.create(
        merchant=merchant, starts_on=starts_on, minimum_term_months=minimum_term_months,
        renewal_months=renewal_months, notice_months=notice_months,
    )
    operator_audit(actor=actor, action="contract.create", merchant=merchant, target=contract,
                   after=fields_of(contract, "starts_on", "minimum_term_months", "renewal_months",
                                   "notice_months"))
    merchant_status_sync(merchant=merchant, actor=actor)
    return contract


@transaction.atomic
def contract_notice_give(*, contract: Contract, given_on: datetime.date, actor) -> Contract:
    """Record the merchant's notice; the contract ends at the first term end it still reaches."""
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    if contract.notice_given_on is None:
        contract.notice_given_on = given_on
        contract.notice_recorded_by = actor
        contract.save(update_fields=["notice_given_on", "notice_recorded_by"])
        operator_audit(actor=actor, action="contract.notice", merchant=contract.merchant, target=contract,
                       before={"notice_given_on": None}, after={"notice_given_on": given_on})
    merchant_status_sync(merchant=contract.merchant, actor=actor)
    return contract


def contract_notice_end(*, contract: Contract, given_on: datetime.date) -> datetime.date:
    """The day the contract would end on with notice given on that day."""
    return dataclasses.replace(contract.terms, notice_given_on=given_on).final_end()


def contract_terms_without_notice(*, contract: Contract) -> ContractTerms:
    """The contract's terms as they would stand with its notice withdrawn."""
    return dataclasses.replace(contract.terms, notice_given_on=None)


def contract_notice_withdrawable(*, contract: Contract, today: datetime.date) -> bool:
    """A notice can be withdrawn until its deadline, the last day it could have been given for the
    end it leads to; after that the contract would have ended without it."""
    final_end = contract.terms.final_end()
    return final_end is not None and today <= contract.terms.deadline_for(final_end)


@transaction.atomic
def contract_notice_withdraw(*, contract: Contract, actor, today: datetime.date | None = None) -> Contract:
    """Take back a notice before its deadline: the contract runs on and renews as if none was given."""
    today = today or timezone.localdate()
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    if not contract_notice_withdrawable(contract=contract, today=today):
        raise ValidationError(_("This notice can no longer be withdrawn: its deadline has passed."),
                              code="notice_not_withdrawable")
    before = {"notice_given_on": contract.notice_given_on, "ends_on": contract.terms.final_end()}
    contract.notice_given_on = None
    contract.notice_recorded_by = None
    contract.save(update_fields=["notice_given_on", "notice_recorded_by"])
    operator_audit(actor=actor, action="contract.notice_withdraw", merchant=contract.merchant, target=contract,
                   before=before, after={"notice_given_on": None, "ends_on": contract.ends_on(today)})
    merchant_status_sync(merchant=contract.merchant, today=today, actor=actor)
    return contract


def contracts_sync_all(*, today: datetime.date) -> int:
    """Nightly: every merchant's row follows its contract and licence (a contract ends at midnight)."""
    merchants = Merchant.objects.filter(contract__isnull=False)
    for merchant in merchants:
        merchant_status_sync(merchant=merchant, today=today)
    return len(merchants)


def contract_reminders_send(*, today: datetime.date) -> int:
    """E-mail the merchant (and us) 30 and 7 days before the last day to give notice, once each."""
    sent = 0
    for contract in Contract.objects.filter(notice_given_on__isnull=True).select_related("merchant"):
        deadline = contract.notice_deadline(today)
        days_left = (deadline - today).days
        if days_left not in REMINDER_DAYS_BEFORE_DEADLINE:
            continue
        try:
            with transaction.atomic():
                reminder = ContractReminder.objects.create(contract=contract, deadline=deadline,
                                                           days_before=days_left)
                operator_audit(actor="system:contract-reminders", action="contract.reminder",
                               merchant=contract.merchant, target=reminder,
                               after={"deadline": deadline, "days_before": days_left})
                profile = CompanyProfile.objects.filter(merchant=contract.merchant).first()
                recipients = [profile.billing_email] if profile else []
                send_mail(
                    _("Your Stammkunde contract: last day for notice is %(date)s") % {"date": deadline.isoformat()},
                    _("Without notice by %(deadline)s your contract renews until %(renewal)s.") % {
                        "deadline": deadline.isoformat(),
                        "renewal": (contract.terms.current_end(deadline + datetime.timedelta(days=1))).isoformat()},
                    None, recipients + [settings.OPERATOR_EMAIL],
                )
        except IntegrityError:
            continue  # reminded already
        sent += 1
    return sent
