"""The signed-in cardholder's profile and consents, their own data as a download, and deletion confirmed by e-mail.

The pages parse what was sent, call one service of loyalty.services.privacy and show the answer;
the rules (who may, what a consent records, what a deletion empties) live in the services."""
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from loyalty.actors import Actor
from loyalty.errors import LoyaltyError, TooManyAttempts, WordingChanged
from loyalty.models import Consent
from loyalty.selectors_cardholders import cardholder_accounts
from loyalty.services.cardholders import custom_data_merged, custom_fields_active
from loyalty.services.portal_accounts import CONFIRM_NEW_EMAIL, DELETION, portal_link_read
from loyalty.services.privacy import (
    EMAIL_MAX_LENGTH,
    PORTAL_PURPOSES,
    cardholder_anonymise,
    cardholder_data_csv,
    cardholder_data_json,
    cardholder_deletion_request,
    cardholder_email_change_request,
    cardholder_email_new_confirm,
    cardholder_profile_update,
    consent_portal_set,
    consents_history,
    consents_overview,
    masked_email,
)
from loyalty.views.cardholder_forms import CardholderForm
from portal.rendering import portal_render
from portal.session import (
    SESSION_CARDHOLDER,
    cardholder_required,
    portal_actor,
    portal_cardholder,
    portal_sign_out,
)
from tenants.throttling import client_address

TEMPLATES = "portal/privacy/"
# What the browser may fill in for the person (WCAG 1.3.5), by form field.
AUTOCOMPLETE = {"first_name": "given-name", "last_name": "family-name", "birth_date": "bday",
                "postcode": "postal-code", "phone": "tel", "email_new": "email", "gender": "sex",
                "language": "language"}


def _described(form: forms.Form) -> forms.Form:
    """Each field with an error names it (aria-describedby, aria-invalid): the page shows the
    message next to the field with that id."""
    for name in form.errors:
        if name in form.fields:
            form.fields[name].widget.attrs.update({"aria-invalid": "true",
                                                   "aria-describedby": f"{form[name].auto_id}-error"})
    return form


def _service_errors(form: forms.Form, error: ValidationError) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)


# --- Profile -------------------------------------------------------------------------------------

class ProfileForm(CardholderForm):
    """The person's own data, checked by the same rules as the back office's form (phone, birth
    date, the merchant's own fields by CustomField.value_clean); the e-mail address is changed
    through a confirmation of the new one."""

    email_new = forms.EmailField(
        label=gettext_lazy("New e-mail address"), required=False, max_length=EMAIL_MAX_LENGTH,
        help_text=gettext_lazy("We send a link to the new address; it counts once you have followed it."),
        error_messages={"invalid": gettext_lazy("Please enter an e-mail address like anna@example.com.")})

    class Meta(CardholderForm.Meta):
        fields = [name for name in CardholderForm.Meta.fields if name != "email"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["gender"].label = _("Gender (optional)")
        self.fields["birth_date"].help_text = _("For a birthday surprise, if the shop offers one (optional).")
        self.fields["language"].help_text = _("The language of our e-mails to you.")
        for name, token in AUTOCOMPLETE.items():
            self.fields[name].widget.attrs["autocomplete"] = token
        self.fields["email_new"].widget.attrs["inputmode"] = "email"

    def profile_data(self) -> dict:
        """The fields of the form as cardholder_profile_update takes them (PROFILE_FIELDS)."""
        return self.personal_data()


@cardholder_required
@require_http_methods(["GET", "POST"])
def profile(request):
    cardholder = portal_cardholder(request)
    fields = custom_fields_active()
    if request.method == "GET":
        return _profile_page(request, ProfileForm(instance=cardholder, own_fields=fields))
    form = ProfileForm(request.POST, instance=cardholder, own_fields=fields)
    if form.is_valid():
        actor = portal_actor(request)
        new_email = form.cleaned_data["email_new"]
        try:
            # Both or neither: an address refused (or mails paused) keeps the rest unsaved as well.
            with transaction.atomic():
                cardholder_profile_update(cardholder=cardholder, actor=actor, **form.profile_data(),
                                          custom_data=custom_data_merged(cardholder.custom_data,
                                                                         form.cleaned_data["custom_data"],
                                                                         fields=fields))
                if new_email:
                    cardholder_email_change_request(cardholder=cardholder, email=new_email, actor=actor)
        except ValidationError as error:
            _service_errors(form, error)
        except TooManyAttempts as refusal:
            form.add_error("email_new", str(refusal))
        except LoyaltyError as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Your changes are saved."))
            if new_email:
                # The same answer whether or not the address is free (it may be another customer's).
                messages.info(request, _("We have sent an e-mail to %(new)s. Please check that inbox and follow "
                                         "the link in it to use the new address; until then we keep writing to "
                                         "%(old)s.") % {"new": new_email,
                                                        "old": cardholder.email or _("no address")})
            return redirect("portal:profile")
        cardholder.refresh_from_db()  # what the rolled-back change left in memory
    return _profile_page(request, _described(form), status=400)


def _profile_page(request, form, *, status=200):
    cardholder = portal_cardholder(request)
    return portal_render(request, TEMPLATES + "profile.html", {
        "form": form, "cardholder": cardholder, "personal": form.personal_bound_fields(),
        "own": form.own_bound_fields()}, status=status)


@require_http_methods(["GET", "POST"])
def confirm_new_email(request, token):
    """The link sent to a new address: the page asks to confirm (a mail scanner that opens links
    confirms nothing), the button does."""
    link = portal_link_read(token, CONFIRM_NEW_EMAIL)
    if link is None or not link.cardholder.email_new:
        return _link_invalid(request)
    if request.method == "GET":
        return portal_render(request, TEMPLATES + "email_confirm.html", {"new": link.cardholder.email_new})
    try:
        cardholder_email_new_confirm(cardholder=link.cardholder,
                                     actor=Actor.for_cardholder(link.cardholder, address=client_address(request)))
    except LoyaltyError as refusal:
        return portal_render(request, TEMPLATES + "email_confirm.html", {"refusal": refusal}, status=409)
    signed_in = portal_cardholder(request)
    if signed_in is not None and signed_in.pk == link.cardholder.pk:
        messages.success(request, _("Your new e-mail address is confirmed."))
        return redirect("portal:profile")
    return portal_render(request, TEMPLATES + "email_confirm.html", {"done": True})


def _link_invalid(request):
    return portal_render(request, TEMPLATES + "link_invalid.html", status=404)


# --- Consents ------------------------------------------------------------------------------------

class ConsentToggleForm(forms.Form):
    purpose = forms.ChoiceField(choices=[(purpose, purpose) for purpose in PORTAL_PURPOSES])
    granted = forms.TypedChoiceField(choices=[("yes", "yes"), ("no", "no")], coerce=lambda value: value == "yes")
    wording_version = forms.IntegerField(min_value=1, max_value=10**9)


@cardholder_required
@require_http_methods(["GET", "POST"])
def consents(request):
    cardholder = portal_cardholder(request)
    if request.method == "GET":
        return _consents_page(request)
    form = ConsentToggleForm(request.POST)
    if not form.is_valid():
        return _consents_page(request, problem=_("This did not work: please choose again."), status=400)
    data = form.cleaned_data
    try:
        consent_portal_set(cardholder=cardholder, actor=portal_actor(request), **data)
    except WordingChanged:
        return _consents_page(request, asked_again=data["purpose"], status=409)
    label = Consent.Purpose(data["purpose"]).label
    messages.success(request, (_("Thank you: your consent to “%(purpose)s” is recorded.") if data["granted"] else
                               _("Your consent to “%(purpose)s” is withdrawn.")) % {"purpose": label})
    return redirect(f"{request.path}#consent-{data['purpose']}")


def _consents_page(request, *, asked_again: str = "", problem: str = "", status: int = 200):
    cardholder = portal_cardholder(request)
    return portal_render(request, TEMPLATES + "consents.html", {
        "rows": consents_overview(cardholder), "history": consents_history(cardholder),
        "asked_again": asked_again, "problem": problem}, status=status)


# --- The person's own data -----------------------------------------------------------------------

@cardholder_required
@require_GET
def data(request):
    return portal_render(request, TEMPLATES + "data.html", {})


def _download(file) -> HttpResponse:
    response = HttpResponse(file.content, content_type=file.content_type)
    response["Content-Disposition"] = f'attachment; filename="{file.name}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@cardholder_required
@require_GET
def data_json(request):
    return _download(cardholder_data_json(cardholder=portal_cardholder(request), actor=portal_actor(request)))


@cardholder_required
@require_GET
def data_csv(request):
    return _download(cardholder_data_csv(cardholder=portal_cardholder(request), actor=portal_actor(request)))


# --- Deletion ------------------------------------------------------------------------------------

KEEP, BLOCK = "keep", "block"


class DeletionForm(forms.Form):
    cards = forms.ChoiceField(
        label=gettext_lazy("What should happen to your card?"), widget=forms.RadioSelect,
        choices=[(KEEP, gettext_lazy("It stays usable without my name: whoever holds it can collect and pay "
                                     "with it at the till.")),
                 (BLOCK, gettext_lazy("It is blocked: nobody can use it any more, and what is left on it can no "
                                      "longer be redeemed."))],
        error_messages={"required": gettext_lazy("Please choose what should happen to your card.")})


@cardholder_required
@require_http_methods(["GET", "POST"])
def delete(request):
    cardholder = portal_cardholder(request)
    form = DeletionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            cardholder_deletion_request(cardholder=cardholder, keep_card_usable=form.cleaned_data["cards"] == KEEP,
                                        actor=portal_actor(request))
        except LoyaltyError as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("We have sent an e-mail to %(address)s. Please open the link in it within "
                                        "a day to confirm the deletion; until then nothing is deleted.")
                             % {"address": masked_email(cardholder.email)})
            return redirect("portal:delete")
    return portal_render(request, TEMPLATES + "delete.html", {
        "form": _described(form), "cardholder": cardholder, "cards": list(cardholder.cards.order_by("number")),
        "balances": _balances(cardholder), "has_address": bool(cardholder.email and cardholder.email_confirmed_at)},
        status=400 if form.errors else 200)


def _balances(cardholder) -> list[str]:
    """What is on the person's cards now, in each program's unit: what a blocked card takes with it."""
    return [f"{account.program.name}: {account.program.behaviour.balance_text(account.balance)}"
            for account in cardholder_accounts(cardholder) if account.balance > 0]


@require_http_methods(["GET", "POST"])
def delete_confirm(request, token):
    """The link of the deletion e-mail: the last question with the person's choice, then the deletion."""
    link = portal_link_read(token, DELETION)
    if link is None:
        return _link_invalid(request)
    keep = bool(link.extra.get("keep"))
    if request.method == "GET":
        return portal_render(request, TEMPLATES + "delete_confirm.html", {
            "keep": keep, "cards": list(link.cardholder.cards.order_by("number")),
            "balances": _balances(link.cardholder)})
    cardholder_anonymise(cardholder=link.cardholder, keep_card_usable=keep,
                         actor=Actor.for_cardholder(link.cardholder, address=client_address(request)))
    if request.session.get(SESSION_CARDHOLDER) == link.cardholder.pk:
        portal_sign_out(request)
    request.portal_cardholder = None
    return portal_render(request, TEMPLATES + "deleted.html", {"keep": keep})


urlpatterns = [
    path("profile/", profile, name="profile"),
    path("profile/consents/", consents, name="consents"),
    path("profile/email/<str:token>/", confirm_new_email, name="confirm_new_email"),
    path("profile/data/", data, name="data"),
    path("profile/data.json", data_json, name="data_json"),
    path("profile/data.csv", data_csv, name="data_csv"),
    path("profile/delete/", delete, name="delete"),
    path("profile/delete/<str:token>/", delete_confirm, name="delete_confirm"),
]
