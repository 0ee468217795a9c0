"""Back-office pages for the tills: terminals in use and the licence, pairing codes, revoking."""
from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from loyalty.actors import Actor
from loyalty.models import Terminal
from loyalty.pos.selectors import pairing_codes_open, terminals_active
from loyalty.pos.services import pairing_code_create
from loyalty.services.terminals import terminal_revoke


class PairingCodeForm(forms.Form):
    terminal_name = forms.CharField(
        label=gettext_lazy("Name of the new till"), max_length=100,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("e.g. Counter 2")}))


class TerminalsPermissionMixin(LoginRequiredMixin, PermissionRequiredMixin):
    # Owners and managers; never cashiers, who book at a till but do not hand out tills.
    permission_required = "loyalty.add_terminal"


class TerminalListView(TerminalsPermissionMixin, View):
    """The tills in use and the licence's seats; a new pairing code for another till."""

    def get(self, request, form=None):
        terminals = list(terminals_active())
        limit = request.tenant.terminal_limit
        return render(request, "loyalty/manage/terminals.html", {
            "terminals": terminals, "limit": limit, "seats_free": max(0, limit - len(terminals)),
            "pairing_codes": pairing_codes_open(), "form": form or PairingCodeForm(),
        })

    def post(self, request):
        form = PairingCodeForm(request.POST)
        if not form.is_valid():
            return self.get(request, form=form)
        pairing_code, code = pairing_code_create(terminal_name=form.cleaned_data["terminal_name"],
                                                 actor=Actor(user=request.user))
        # Shown this once: only a hash of the code is kept.
        return render(request, "loyalty/manage/pairing_code.html", {
            "pairing_code": pairing_code, "code": f"{code[:4]}-{code[4:]}",
            "pair_url": request.build_absolute_uri("/pos/pair/"),
        })


class TerminalRevokeView(TerminalsPermissionMixin, View):
    def post(self, request, pk):
        terminal = get_object_or_404(Terminal, pk=pk, is_active=True)
        terminal_revoke(terminal=terminal, actor=Actor(user=request.user))
        messages.success(request, _("“%(name)s” is revoked: it cannot book any more, and its seat "
                                    "is free.") % {"name": terminal.name})
        return redirect("terminals")


urlpatterns = [
    path("terminals/", TerminalListView.as_view(), name="terminals"),
    path("terminals/<int:pk>/revoke/", TerminalRevokeView.as_view(), name="terminal-revoke"),
]
