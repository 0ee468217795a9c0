"""Back-office pages for API keys: the owner makes a named key with a scope for a cash-register
integration (shown once), sees when each was last used, and revokes it."""
from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views import View

from loyalty.models import ApiKey
from loyalty.services.api_keys import api_key_create, api_key_revoke
from loyalty.views import request_actor
from loyalty.views.terminals import last_seen_text


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"), max_length=100,
        help_text=gettext_lazy("Who uses it, e.g. “Cash register branch 2”: bookings made with the key "
                               "show this name."))
    scope = forms.ChoiceField(label=pgettext_lazy("what a key or role is allowed to do", "May"), choices=ApiKey.Scope.choices,
                              initial=ApiKey.Scope.BOOK, widget=forms.RadioSelect)


class ApiKeysPermissionMixin(LoginRequiredMixin, PermissionRequiredMixin):
    permission_required = "loyalty.add_apikey"


class ApiKeyListView(ApiKeysPermissionMixin, View):
    def get(self, request, form=None):
        api_keys = list(ApiKey.objects.filter(revoked_at__isnull=True).select_related("created_by"))
        for api_key in api_keys:
            api_key.last_used_text = last_seen_text(api_key.last_used_at) if api_key.last_used_at else _("not yet")
        return render(request, "loyalty/manage/api_keys.html", {
            "api_keys": api_keys, "form": form or ApiKeyForm(),
            "revoked": ApiKey.objects.filter(revoked_at__isnull=False).count(),
            "docs_url": request.build_absolute_uri("/api/docs/"),
        }, status=400 if form else 200)

    def post(self, request):
        form = ApiKeyForm(request.POST)
        if not form.is_valid():
            return self.get(request, form=form)
        api_key, token = api_key_create(name=form.cleaned_data["name"], scope=form.cleaned_data["scope"],
                                        actor=request_actor(request))
        # Shown this once: only a hash of the key is kept.
        return render(request, "loyalty/manage/api_key_created.html", {
            "api_key": api_key, "token": token, "api_url": request.build_absolute_uri("/api/"),
        })


class ApiKeyRevokeView(ApiKeysPermissionMixin, View):
    """Asks first: a revoked key is refused at once and cannot be used again."""

    def get(self, request, pk):
        api_key = get_object_or_404(ApiKey, pk=pk, revoked_at__isnull=True)
        return render(request, "loyalty/manage/api_key_revoke.html", {"api_key": api_key})

    def post(self, request, pk):
        api_key = get_object_or_404(ApiKey, pk=pk, revoked_at__isnull=True)
        api_key_revoke(api_key=api_key, actor=request_actor(request))
        messages.success(request, _("The API key “%(name)s” is revoked: requests with it are refused "
                                    "from now on.") % {"name": api_key.name})
        return redirect("api-keys")


urlpatterns = [
    path("api-keys/", ApiKeyListView.as_view(), name="api-keys"),
    path("api-keys/<int:pk>/revoke/", ApiKeyRevokeView.as_view(), name="api-key-revoke"),
]
