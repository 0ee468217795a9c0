"""Company data, the contract (minimum term, renewal, notice) and the terminal licence ledger."""
import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hq.terms import ContractTerms


class CompanyProfile(models.Model):
    """Who we bill: the merchant's company, billing address and VAT id."""

    merchant = models.OneToOneField("tenants.Merchant", on_delete=models.PROTECT, related_name="company")
    legal_name = models.CharField(_("company name"), max_length=200)
    street = models.CharField(_("street and number"), max_length=200)
    postcode = models.CharField(_("postcode"), max_length=10)
    city = models.CharField(_("city"), max_length=100)
    country = models.CharField(_("country"), max_length=2, default="DE")
    vat_id = models.CharField(_("VAT id"), max_length=20, blank=True)
    billing_email = models.EmailField(_("billing e-mail"))
    contact_name = models.CharField(_("contact person"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("company profile")
        verbose_name_plural = _("company profiles")

    def __str__(self):
        return self.legal_name


class Contract(models.Model):
    """A merchant's contract: a minimum term, then renewals, ended by notice before a term's end."""

    merchant = models.OneToOneField("tenants.Merchant", on_delete=models.PROTECT, related_name="contract")
    starts_on = models.DateField(_("contract start"))
    minimum_term_months = models.PositiveSmallIntegerField(_("minimum term (months)"), default=24)
    renewal_months = models.PositiveSmallIntegerField(_("renewal (months)"), default=12)
    notice_months = models.PositiveSmallIntegerField(_("notice period (months)"), default=3)
    notice_given_on = models.DateField(_("notice given on"), null=True, blank=True)
    notice_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        constraints = [
            models.CheckConstraint(condition=Q(minimum_term_months__gt=0) & Q(renewal_months__gt=0),
                                   name="contract_terms_positive"),
        ]

    def __str__(self):
        return f"{self.merchant} ({self.starts_on:%Y-%m-%d})"

    @property
    def terms(self) -> ContractTerms:
        return ContractTerms(
            starts_on=self.starts_on, minimum_term_months=self.minimum_term_months,
            renewal_months=self.renewal_months, notice_months=self.notice_months,
            notice_given_on=self.notice_given_on,
        )

    def ends_on(self, today: datetime.date) -> datetime.date:
        return self.terms.current_end(today)

    def notice_deadline(self, today: datetime.date) -> datetime.date | None:
        return self.terms.notice_deadline(today)

    def has_ended(self, today: datetime.date) -> bool:
        return self.terms.has_ended(today)


class TerminalLicense(models.Model):
    """One change of the licensed terminal count, in force from the first day of a month.
    Never edited: a correction is a new row."""

    merchant = models.ForeignKey("tenants.Merchant", on_delete=models.PROTECT, related_name="terminal_licenses")
    count = models.PositiveSmallIntegerField(_("terminals"))
    effective_month = models.DateField(_("in force from (month)"))
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("terminal licence change")
        verbose_name_plural = _("terminal licence changes")
        ordering = ["merchant", "effective_month", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(effective_month__day=1), name="license_effective_first_of_month"),
        ]

    def __str__(self):
        return f"{self.count} from {self.effective_month:%Y-%m}"


class ContractReminder(models.Model):
    """A reminder of the notice deadline, sent once per contract, deadline and lead time."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="reminders")
    deadline = models.DateField()
    days_before = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contract", "deadline", "days_before"], name="contract_reminder_once"),
        ]

    def __str__(self):
        return f"{self.days_before} days before {self.deadline:%Y-%m-%d}"
