"""Back-office pages for the tills: terminals in use and the licence, pairing codes, renaming and
revoking."""
import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View

from loyalty.errors import TerminalLimitReached
from loyalty.models import Terminal
from loyalty.pos.selectors import pairing_codes_open, terminals_active
from loyalty.pos.services import pairing_code_create
from loyalty.services.terminals import terminal_rename, terminal_revoke, terminal_seats
from loyalty.views import request_actor

# Within this, "last seen" is said as minutes ago; after it as a date and time.
LAST_SEEN_RELATIVE = datetime.timedelta(hours=1)


class PairingCodeForm(forms.Form):
    terminal_name = forms.CharField(
        label=gettext_lazy("Name of the new till"), max_length=100,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("e.g. Counter 2")}))


class TerminalRenameForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)


class TerminalsPermissionMixin(LoginRequiredMixin, PermissionRequiredMixin):
    # Owners and managers; never cashiers, who book at a till but do not hand out tills.
    permission_required = "loyalty.add_terminal"


def last_seen_text(moment: datetime.datetime | None) -> str:
    """"vor 5 Min." within the hour, else the local date and time; a dash if never."""
    if moment is None:
        return "–"
    age = timezone.now() - moment
    if age < datetime.timedelta(minutes=1):
        return _("just now")
    if age < LAST_SEEN_RELATIVE:
        minutes = int(age.total_seconds() // 60)
        return ngettext("%(minutes)s min. ago", "%(minutes)s min. ago", minutes) % {"minutes": minutes}
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


class TerminalListView(TerminalsPermissionMixin, View):
    """The tills in use and the licence's seats; a new pairing code for another till while a seat
    is free."""

    def get(self, request, form=None, refusal=None):
        tenant = request.tenant
        terminals = list(terminals_active())
        for terminal in terminals:
            terminal.last_seen_text = last_seen_text(terminal.last_seen_at)
        return render(request, "loyalty/manage/terminals.html", {
            "terminals": terminals, "seats": terminal_seats(limit=tenant.terminal_limit),
            "limit_next": tenant.terminal_limit_next, "limit_next_from": tenant.terminal_limit_next_from,
            "pairing_codes": pairing_codes_open(), "form": form or PairingCodeForm(), "refusal": refusal,
        }, status=400 if refusal or (form is not None and form.errors) else 200)

    def post(self, request):
        form = PairingCodeForm(request.POST)
        if not form.is_valid():
            return self.get(request, form=form)
        try:
            pairing_code, code = pairing_code_create(terminal_name=form.cleaned_data["terminal_name"],
                                                     actor=request_actor(request))
        except TerminalLimitReached as refusal:
            return self.get(request, form=form, refusal=str(refusal))
        # Shown this once: only a hash of the code is kept.
        return render(request, "loyalty/manage/pairing_code.html", {
            "pairing_code": pairing_code, "code": f"{code[:4]}-{code[4:]}",
            "pair_url": request.build_absolute_uri("/pos/pair/"),
        })


class TerminalEditView(TerminalsPermissionMixin, View):
    """Rename a till (the name its staff see in the till's header and the journal shows)."""

    def get(self, request, pk, form=None):
        terminal = get_object_or_404(Terminal, pk=pk, is_active=True)
        return render(request, "loyalty/manage/terminal_edit.html", {
            "terminal": terminal, "last_seen": last_seen_text(terminal.last_seen_at),
            "form": form or TerminalRenameForm(initial={"name": terminal.name}),
        }, status=400 if form else 200)

    def post(self, request, pk):
        terminal = get_object_or_404(Terminal, pk=pk, is_active=True)
        form = TerminalRenameForm(request.POST)
        if not form.is_valid():
            return self.get(request, pk, form=form)
        terminal_rename(terminal=terminal, name=form.cleaned_data["name"], actor=request_actor(request))
        messages.success(request, _("The till is now called “%(name)s”.") % {"name": terminal.name})
        return redirect("terminals")


class TerminalRevokeView(TerminalsPermissionMixin, View):
    """Asks first: a revoked till cannot book again and must be paired anew."""

    def get(self, request, pk):
        terminal = get_object_or_404(Terminal, pk=pk, is_active=True)
        return render(request, "loyalty/manage/terminal_revoke.html", {"terminal": terminal})

    def post(self, request, pk):
        terminal = get_object_or_404(Terminal, pk=pk, is_active=True)
        terminal_revoke(terminal=terminal, actor=request_actor(request))
        messages.success(request, _("“%(name)s” is revoked: it cannot book any more, and its seat "
                                    "is free.") % {"name": terminal.name})
        return redirect("terminals")


urlpatterns = [
    path("terminals/", TerminalListView.as_view(), name="terminals"),
    path("terminals/<int:pk>/", TerminalEditView.as_view(), name="terminal-edit"),
    path("terminals/<int:pk>/revoke/", TerminalRevokeView.as_view(), name="terminal-revoke"),
]
