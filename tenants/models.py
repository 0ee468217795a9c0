"""The merchant (one PostgreSQL schema each) and the hosts that lead to it."""
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin

from tenants.routing import merchants_changed


class Country(models.TextChoices):
    GERMANY = "DE", _("Germany")
    AUSTRIA = "AT", _("Austria")


class ContractStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    NOTICE_GIVEN = "notice", _("notice given")
    ENDED = "ended", _("ended")


class Merchant(TenantMixin):
    """A merchant and its schema. The public schema's row stands for the operator itself.

    Each process keeps the rows it routes requests to (tenants.routing); save() and delete() tell
    it. After a queryset's update(), call tenants.routing.merchants_changed()."""

    name = models.CharField(_("name"), max_length=200)
    country = models.CharField(_("country"), max_length=2, choices=Country, default=Country.GERMANY)
    brand_color = models.CharField(
        _("brand colour"),
        max_length=7,
        default="#7a4a21",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Enter a colour like #7a4a21."))],
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # The merchant's wrapped field-encryption keys (tenants.encryption); never shown or edited.
    key_ring = models.JSONField(default=dict, editable=False)
    # Written by the operator's side (hq) whenever the contract or the licence changes; the
    # merchant's side reads them from request.tenant and never imports hq.
    contract_status = models.CharField(
        _("contract status"), max_length=10, choices=ContractStatus, default=ContractStatus.ACTIVE
    )
    terminal_limit = models.PositiveSmallIntegerField(_("licensed terminals"), default=1)
    # The next change of the licence already agreed (from a later month), shown to the merchant.
    terminal_limit_next = models.PositiveSmallIntegerField(_("licensed terminals from then on"),
                                                           null=True, blank=True)
    terminal_limit_next_from = models.DateField(_("licence changes on"), null=True, blank=True)
    contract_ends_on = models.DateField(_("contract ends on"), null=True, blank=True)
    notice_deadline = models.DateField(_("last day to give notice"), null=True, blank=True)

    # Provisioning clones the template schema inside its own transaction (tenants.services).
    auto_create_schema = False
    auto_drop_schema = True

    class Meta:
        verbose_name = _("merchant")
        verbose_name_plural = _("merchants")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        merchants_changed()  # every process reads the row anew (tenants.routing)

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        merchants_changed()
        return result

    @property
    def service_ended(self) -> bool:
        """After the contract's end the till and the portal stop; the owner may still export."""
        return self.contract_status == ContractStatus.ENDED

    @property
    def primary_host(self) -> str | None:
        domain = self.get_primary_domain()
        return domain.domain if domain else None


class Domain(DomainMixin):
    """A host name that leads to one merchant: its subdomain, or a domain of its own."""

    class Meta:
        verbose_name = _("domain")
        verbose_name_plural = _("domains")

    def __str__(self):
        return self.domain

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        merchants_changed()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        merchants_changed()
        return result


class SchemaTemplate(models.Model):
    """A recording of the template schema (tenants.template) that new merchant schemas replay."""

    schema_name = models.CharField(max_length=63)
    ddl = models.TextField()
    # Tables whose rows every merchant schema starts with (migration history, content types, …).
    tables_with_rows = models.JSONField(default=list)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-pk"]

    def __str__(self):
        return f"{self.schema_name} at {self.recorded_at:%Y-%m-%d %H:%M}"
