"""Why billing refuses an action, in words the operator's console can show."""
from django.utils.translation import gettext_lazy as _


class BillingError(Exception):
    message = _("The billing action failed.")

    def __init__(self, message=None):
        super().__init__(message or self.message)


class CompanyProfileMissing(BillingError):
    message = _("The merchant has no company profile to bill.")


class InvoiceNotCancellable(BillingError):
    message = _("This invoice cannot be cancelled.")


class CancellationReasonRequired(BillingError):
    message = _("A cancellation needs a reason.")


class PaymentsNotConfigured(BillingError):
    message = _("Payments through Stripe are not configured.")


class PaymentMethodTypeUnknown(BillingError):
    message = _("Choose SEPA Direct Debit or a card.")


class PaymentProviderUnavailable(BillingError):
    message = _("Stripe cannot be reached right now; please try again in a few minutes.")
