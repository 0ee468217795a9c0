"""The wordings of the consents in versions: the list, a new version, and the exact text of one
version (what a person agreed to).

Everyone who sees the cardholders sees the wordings (to show what a person agreed to); a new
version is written by who may change the settings (loyalty.services.consent_wordings says why)."""
from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from loyalty.models import Consent, ConsentWording
from loyalty.services.consent_wordings import (
    MAX_TEXT,
    READ_PERMISSION,
    WRITE_PERMISSION,
    consent_wording_check,
    consent_wording_create,
    consent_wording_current,
    consent_wordings_by_purpose,
)
from loyalty.views import request_actor

TEMPLATES = "loyalty/consent_wordings/"


class WordingPageMixin(LoginRequiredMixin, PermissionRequiredMixin):
    permission_required = READ_PERMISSION

    @staticmethod
    def purpose_of(purpose: str) -> tuple[str, str]:
        if purpose not in Consent.Purpose.values:
            raise Http404
        return purpose, str(Consent.Purpose(purpose).label)


class ConsentWordingListView(WordingPageMixin, View):
    def get(self, request):
        return render(request, TEMPLATES + "list.html", {
            "purposes": consent_wordings_by_purpose(), "may_write": request.user.has_perm(WRITE_PERMISSION)})


class WordingForm(forms.Form):
    text_de = forms.CharField(label=gettext_lazy("Wording in German"), max_length=MAX_TEXT,
                              widget=forms.Textarea(attrs={"rows": 5, "lang": "de"}),
                              error_messages={"required": gettext_lazy("Please write the German wording.")})
    text_en = forms.CharField(label=gettext_lazy("Wording in English"), max_length=MAX_TEXT,
                              widget=forms.Textarea(attrs={"rows": 5, "lang": "en"}),
                              error_messages={"required": gettext_lazy("Please write the English wording.")})


class ConsentWordingNewView(WordingPageMixin, View):
    """A new version: the texts (prefilled with the current ones), then the question with both
    versions side by side, then the new version."""

    permission_required = (READ_PERMISSION, WRITE_PERMISSION)

    def get(self, request, purpose):
        purpose, label = self.purpose_of(purpose)
        current = consent_wording_current(purpose)
        initial = {"text_de": current.text_de, "text_en": current.text_en} if current else {}
        return self.page(request, purpose, label, current, WordingForm(initial=initial))

    def post(self, request, purpose):
        purpose, label = self.purpose_of(purpose)
        current = consent_wording_current(purpose)
        form = WordingForm(request.POST)
        if "change" in request.POST or not form.is_valid():
            return self.page(request, purpose, label, current, form, status=200 if form.is_valid() else 400)
        try:
            if "confirm" not in request.POST:
                texts = consent_wording_check(purpose=purpose, **form.cleaned_data)
                return self.page(request, purpose, label, current, form, confirm=texts)
            wording = consent_wording_create(purpose=purpose, actor=request_actor(request), **form.cleaned_data)
        except ValidationError as error:
            for name, errors in (error.error_dict.items() if hasattr(error, "error_dict") else [(None, error)]):
                form.add_error(name if name in form.fields else None, errors)
            return self.page(request, purpose, label, current, form, status=400)
        messages.success(request, _("Version %(version)d of “%(purpose)s” is saved. From now on people are "
                                    "asked with it; consents given before keep their version.")
                         % {"version": wording.version, "purpose": label})
        return redirect("consent_wording", purpose=purpose, version=wording.version)

    def page(self, request, purpose, label, current, form, *, confirm=None, status=200):
        return render(request, TEMPLATES + "new.html", {
            "purpose": purpose, "label": label, "current": current, "form": form, "confirm": confirm,
            "next_version": (current.version + 1) if current else 1}, status=status)


class ConsentWordingView(WordingPageMixin, View):
    """One version's exact text in both languages: what a person given this version agreed to."""

    def get(self, request, purpose, version):
        purpose, label = self.purpose_of(purpose)
        wording = get_object_or_404(ConsentWording.objects.select_related("created_by"), purpose=purpose,
                                    version=version)
        current = consent_wording_current(purpose)
        return render(request, TEMPLATES + "detail.html", {
            "wording": wording, "label": label, "current": current.pk == wording.pk,
            "given": Consent.objects.filter(purpose=purpose, granted=True, wording_version=str(version)).count(),
            "may_write": request.user.has_perm(WRITE_PERMISSION)})


urlpatterns = [
    path("consents/", ConsentWordingListView.as_view(), name="consent_wordings"),
    path("consents/<slug:purpose>/new/", ConsentWordingNewView.as_view(), name="consent_wording_new"),
    path("consents/<slug:purpose>/<int:version>/", ConsentWordingView.as_view(), name="consent_wording"),
]
