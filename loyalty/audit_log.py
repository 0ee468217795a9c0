"""The audit log as people read it: a label for each action code the services write, the families
its filter offers, the entries a filter picks, and each entry's who, where and what changed.

An action code is written by the service that makes the write (`audit_record(action=...)`); every
code gets its label here, in ACTION_LABELS, and its family by its prefix in FAMILIES."""
import datetime
from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q, QuerySet
from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from loyalty.actors import actor_label_text
from loyalty.catalog import catalog
from loyalty.models import AuditLog, Consent, Terminal
from loyalty.roles import CAPABILITY, capabilities_from_permissions, roles_all
from loyalty.selectors import days_between
from loyalty.units import money_text

ACTION_LABELS: dict[str, Promise] = {
    # Bookings
    "booking.reversal": gettext_lazy("Booking reversed"),
    "booking.adjustment": gettext_lazy("Balance adjusted by hand"),
    "booking.opening_balance": gettext_lazy("Opening balance imported"),
    # Imports and exports
    "cardholder_import.upload": gettext_lazy("Cardholder file uploaded"),
    "cardholder_import.map": gettext_lazy("Columns of a cardholder file assigned"),
    "cardholder_import.start": gettext_lazy("Cardholder import started"),
    "cardholder_import.finish": gettext_lazy("Cardholder import finished"),
    "cardholder_import.forget": gettext_lazy("File of an import never started deleted"),
    "export.request": gettext_lazy("Export of everything requested"),
    "export.download": gettext_lazy("Export of everything downloaded"),
    "export.expire": gettext_lazy("Export file deleted after its day"),
    # Exports and imports
    "merchant.export": gettext_lazy("All data exported"),
    "journal.download": gettext_lazy("Journal downloaded"),
    "report.liability_download": gettext_lazy("Outstanding balances report downloaded"),
    # Sign-ins and lock-outs
    "user.sign_in": gettext_lazy("Signed in to the back office"),
    "pos.sign_in": gettext_lazy("Signed in at the till"),
    "user.pos_pin_set": gettext_lazy("PIN for the till set"),
    "throttled.wrong-passwords": gettext_lazy("Signing in paused after wrong passwords"),
    "throttled.wrong-passwords-from-an-address": gettext_lazy(
        "Signing in paused after wrong passwords from one address"),
    "throttled.wrong-codes": gettext_lazy("Code entry paused after wrong codes"),
    "throttled.wrong-two-factor-codes": gettext_lazy("Code entry paused after wrong codes"),
    "throttled.wrong-two-factor-codes-for-an-account": gettext_lazy("Code entry paused after wrong codes"),
    "throttled.wrong-pins": gettext_lazy("PIN entry paused after wrong PINs"),
    "throttled.wrong-pairing-codes": gettext_lazy("Pairing paused after wrong pairing codes"),
    "throttled.unknown-cards": gettext_lazy("Card look-ups paused after unknown card numbers"),
    "throttled.wrong-activation-codes": gettext_lazy("Card registration paused after wrong activation codes"),
    "throttled.wrong-activation-codes-from-an-address": gettext_lazy(
        "Card registration paused after wrong activation codes from one address"),
    "throttled.portal-emails": gettext_lazy("E-mails of the customer portal paused after too many requests"),
    "throttled.wallet-refusals": gettext_lazy("Wallet pass updates paused after wrong requests"),
    "statistics.report_subscription": gettext_lazy("Monthly statistics report asked for or stopped"),
    "statistics.report_sent": gettext_lazy("Monthly statistics report sent"),
    "statistics.report_download": gettext_lazy("Statistics report downloaded"),
    "throttled.wallet-logs": gettext_lazy("Wallet pass error reports paused after too many"),
    # The customer portal
    "portal.sign_in": gettext_lazy("Signed in to the customer portal"),
    "portal.password_set": gettext_lazy("Password for the customer portal set"),
    "portal.email_confirm": gettext_lazy("E-mail address confirmed in the customer portal"),
    "portal.invitation_accept": gettext_lazy("Invitation to the customer portal accepted"),
    "portal.register_email_in_use": gettext_lazy("Card registration tried with an e-mail address in use"),
    # Staff, roles and permissions
    "staff.invite": gettext_lazy("Staff member invited"),
    "staff.invitation_resend": gettext_lazy("Invitation sent again"),
    "staff.role_change": gettext_lazy("Role of a staff member changed"),
    "staff.deactivate": gettext_lazy("Access of a staff member ended"),
    "staff.reactivate": gettext_lazy("Access of a staff member restored"),
    "staff.two_factor_reset": gettext_lazy("Two-factor sign-in of a staff member reset"),
    "staff.two_factor_enrol": gettext_lazy("Two-factor sign-in set up"),
    "role.create": gettext_lazy("Role created"),
    "role.change": gettext_lazy("Permissions of a role changed"),
    "group.create": gettext_lazy("Built-in role set up"),
    # Settings
    "settings.change": gettext_lazy("Settings changed"),
    "settings.logo": gettext_lazy("Logo changed"),
    "settings.two_factor_required": gettext_lazy("Two-factor requirement changed"),
    # Cards and cardholders
    "cards.create_range": gettext_lazy("Card numbers created"),
    "card.activate": gettext_lazy("Card activated"),
    "card.block": gettext_lazy("Card blocked"),
    "card.replace": gettext_lazy("Card replaced"),
    "card.register": gettext_lazy("Card handed out"),
    "cardholder.create": gettext_lazy("Cardholder created"),
    "cardholder.update": gettext_lazy("Cardholder changed"),
    "cardholder.consent": gettext_lazy("Consent given or withdrawn"),
    "cardholder.email_change_request": gettext_lazy("Change of e-mail address asked for in the portal"),
    "cardholder.data_download": gettext_lazy("Own data downloaded in the portal"),
    "cardholder.deletion_request": gettext_lazy("Deletion of the data asked for in the portal"),
    "cardholder.anonymise": gettext_lazy("Personal data deleted (anonymised)"),
    "card.anonymise": gettext_lazy("Card made anonymous: its holder's data were deleted"),
    "consent_wording.create": gettext_lazy("New version of a consent wording"),
    "custom_field.create": gettext_lazy("Own field created"),
    "custom_field.update": gettext_lazy("Own field changed"),
    "custom_field.deactivate": gettext_lazy("Own field switched off"),
    "custom_field.reactivate": gettext_lazy("Own field switched on again"),
    # Programs
    "program.create": gettext_lazy("Program created"),
    "program.update": gettext_lazy("Program changed"),
    "program.pause": gettext_lazy("Program paused"),
    "program.resume": gettext_lazy("Program resumed"),
    "program.delete": gettext_lazy("Program deleted"),
    "reward.create": gettext_lazy("Reward created"),
    "reward.update": gettext_lazy("Reward changed"),
    "reward.activate": gettext_lazy("Reward offered again"),
    "reward.deactivate": gettext_lazy("Reward withdrawn"),
    "bonus_action.create": gettext_lazy("Bonus action created"),
    "bonus_action.update": gettext_lazy("Bonus action changed"),
    "bonus_action.activate": gettext_lazy("Bonus action switched on"),
    "bonus_action.deactivate": gettext_lazy("Bonus action switched off"),
    # Terminals and API keys
    "terminal.create": gettext_lazy("Terminal added"),
    "terminal.rename": gettext_lazy("Terminal renamed"),
    "terminal.revoke": gettext_lazy("Terminal revoked"),
    "pairing_code.create": gettext_lazy("Pairing code issued"),
    "pairing_code.use": gettext_lazy("Till paired"),
    "api_key.create": gettext_lazy("API key created"),
    "api_key.revoke": gettext_lazy("API key revoked"),
}


@dataclass(frozen=True)
class AuditFamily:
    key: str
    label: Promise
    # Action codes, or prefixes of codes ending in a dot ("card." is every card.* code).
    codes: tuple[str, ...]

    def has(self, code: str) -> bool:
        return any(code == entry or (entry.endswith(".") and code.startswith(entry)) for entry in self.codes)

    def condition(self) -> Q:
        """The same test as `has`, for the database."""
        condition = Q(pk__in=[])
        for entry in self.codes:
            condition |= Q(action__startswith=entry) if entry.endswith(".") else Q(action=entry)
        return condition


# The audit log's filter; a code belongs to the first family that has it.
FAMILIES = (
    AuditFamily("reversals", gettext_lazy("Reversals"), ("booking.reversal",)),
    AuditFamily("adjustments", gettext_lazy("Adjustments"), ("booking.adjustment",)),
    AuditFamily("exports", gettext_lazy("Exports and downloads"),
                ("merchant.export", "journal.download", "export.", "statistics.", "report.")),
    AuditFamily("imports", gettext_lazy("Imports"), ("cardholder_import.", "booking.opening_balance")),
    AuditFamily("access", gettext_lazy("Staff, roles and permissions"), ("staff.", "role.", "group.")),
    AuditFamily("sign_ins", gettext_lazy("Sign-ins and lock-outs"),
                ("user.sign_in", "pos.sign_in", "user.pos_pin_set", "throttled.", "portal.sign_in",
                 "portal.password_set")),
    AuditFamily("settings", gettext_lazy("Settings"), ("settings.",)),
    AuditFamily("cards", gettext_lazy("Cards"), ("card.", "cards.")),
    AuditFamily("cardholders", gettext_lazy("Cardholders"),
                ("cardholder.", "custom_field.", "portal.", "consent_wording.")),
    AuditFamily("programs", gettext_lazy("Programs, rewards and bonus actions"),
                ("program.", "reward.", "bonus_action.")),
    AuditFamily("devices", gettext_lazy("Terminals and API keys"), ("terminal.", "pairing_code.", "api_key.")),
)
FAMILY = {family.key: family for family in FAMILIES}


def action_family(code: str) -> AuditFamily | None:
    return next((family for family in FAMILIES if family.has(code)), None)


def action_label(code: str) -> str:
    """The action in words; a code without a label of its own (yet) is named with its family."""
    if code in ACTION_LABELS:
        return str(ACTION_LABELS[code])
    family = action_family(code)
    return _("%(family)s: %(code)s") % {"family": family.label, "code": code} if family else code


def audit_entries(*, date_from: datetime.date | None = None, date_to: datetime.date | None = None,
                  family: str = "", person=None, terminal: Terminal | None = None) -> QuerySet[AuditLog]:
    """The audit log, newest first, narrowed by whatever is given: days in the merchant's time
    zone (both ends included), a family of actions, the person or the terminal who did it."""
    entries = (AuditLog.objects.select_related("actor_user", "actor_terminal")
               .filter(days_between("created_at", date_from, date_to)))
    if family:
        entries = entries.filter(FAMILY[family].condition())
    if person is not None:
        entries = entries.filter(actor_user=person)
    if terminal is not None:
        entries = entries.filter(actor_terminal=terminal)
    return entries.order_by("-pk")


# --- How an entry reads ----------------------------------------------------------------------------

_METHODS = {"password": gettext_lazy("password"), "two_factor": gettext_lazy("password and code"),
            "invitation": gettext_lazy("first password from the invitation"), "pin": gettext_lazy("PIN"),
            "link": gettext_lazy("sign-in link by e-mail"),
            "confirmation": gettext_lazy("link confirming the e-mail address"),
            "till_invitation": gettext_lazy("invitation from the till")}
_FORMATS = {"csv": "CSV", "xlsx": "Excel (XLSX)"}
# Names of what the services write besides model fields.
_KEYS = {
    "account": gettext_lazy("account"), "address": gettext_lazy("address"), "amount": gettext_lazy("amount"),
    "at": gettext_lazy("time"), "authenticators_removed": gettext_lazy("authenticators removed"),
    "bytes": gettext_lazy("size in bytes"), "capabilities": gettext_lazy("what the role may do"),
    "address_taken": gettext_lazy("address used by another cardholder"),
    "keep_card_usable": gettext_lazy("card kept usable without a name"),
    "on_deletion": gettext_lazy("because the holder's data were deleted"),
    "card": gettext_lazy("card"), "count": gettext_lazy("number"), "email": gettext_lazy("e-mail address"),
    "failures": gettext_lazy("failed attempts"), "fields": gettext_lazy("fields changed"),
    "files": gettext_lazy("files"), "filters": gettext_lazy("filter"), "first": gettext_lazy("first card number"),
    "format": gettext_lazy("format"), "full_name": gettext_lazy("name"), "logo": gettext_lazy("logo"),
    "method": gettext_lazy("signed in with"), "name": gettext_lazy("name"), "new_card": gettext_lazy("new card"),
    "permissions": gettext_lazy("permissions"), "program": gettext_lazy("program"),
    "reason": gettext_lazy("reason"), "reverses": gettext_lazy("reverses booking"),
    "role": gettext_lazy("role"), "rows": gettext_lazy("rows"), "settings": gettext_lazy("settings"),
    "signed_out": gettext_lazy("signed out"), "template": gettext_lazy("template"),
    "terminal": gettext_lazy("terminal"), "terminal_name": gettext_lazy("terminal name"),
    "user": gettext_lazy("staff member"), "window_seconds": gettext_lazy("within minutes"),
    "date_from": gettext_lazy("from"), "date_to": gettext_lazy("to"), "kind": gettext_lazy("kind"),
    "staff": gettext_lazy("staff member"), "card_number": gettext_lazy("card number"),
    "replaced": gettext_lazy("an earlier password replaced"), "password_set": gettext_lazy("password set"),
}
# Objects named by one of their fields where an entry names them; others by kind and number
# (a cardholder's name is personal and stays out of the log).
_TARGET_NAMES = {"loyalty.terminal": "name", "loyalty.program": "name", "loyalty.reward": "name",
                 "loyalty.bonusaction": "name", "loyalty.apikey": "name", "loyalty.card": "number",
                 "auth.group": "name", "accounts.user": "full_name", "loyalty.cardholderimport": "file_name"}
# What an object is called where its model's name would read oddly; the settings are one row.
_TARGET_KINDS = {"accounts.user": gettext_lazy("staff member"), "auth.group": gettext_lazy("role")}
_SINGLETONS = {"loyalty.shopsettings"}


@dataclass(frozen=True)
class Change:
    """One thing an entry records: a field with its value, or with its value before and after."""

    field: str
    value: str
    before: str | None = None


class _Reader:
    """Reads entries of one page, with the people, terminals and objects they name loaded at once."""

    def __init__(self, entries: list[AuditLog]):
        self.programs = catalog().programs
        self.roles = {role.key: role.name for role in roles_all()}
        users, terminals = set(), set()
        for entry in entries:
            data = entry.data if isinstance(entry.data, dict) else {}
            for scope in (data, data.get("before"), data.get("after")):
                if isinstance(scope, dict):
                    users |= {scope["user"]} if isinstance(scope.get("user"), int) else set()
                    terminals |= {scope["terminal"]} if isinstance(scope.get("terminal"), int) else set()
        self.users = get_user_model().objects.in_bulk(users)
        self.terminals = Terminal.objects.in_bulk(terminals)
        self.targets = self._targets(entries)

    def _targets(self, entries) -> dict[tuple[str, str], str]:
        wanted: dict[str, set[int]] = {}
        for entry in entries:
            if entry.object_type in _TARGET_NAMES and entry.object_id.isdigit():
                wanted.setdefault(entry.object_type, set()).add(int(entry.object_id))
        names = {}
        for object_type, ids in wanted.items():
            for pk, target in apps.get_model(object_type).objects.in_bulk(ids).items():
                name = getattr(target, _TARGET_NAMES[object_type]) or str(target)
                names[(object_type, str(pk))] = name
        return names

    def model(self, entry: AuditLog):
        try:
            return apps.get_model(entry.object_type) if entry.object_type else None
        except (LookupError, ValueError):
            return None

    def target(self, entry: AuditLog) -> str:
        model = self.model(entry)
        if model is None:
            return ""
        kind = capfirst(_TARGET_KINDS.get(entry.object_type, model._meta.verbose_name))
        if entry.object_type in _SINGLETONS:
            return kind
        if name := self.targets.get((entry.object_type, entry.object_id)):
            return _("%(kind)s “%(name)s”") % {"kind": kind, "name": name}
        return f"{kind} {entry.object_id}"

    def who(self, entry: AuditLog) -> str:
        if entry.actor_user is not None:
            return str(entry.actor_user)
        if entry.actor_label:
            return actor_label_text(entry.actor_label)
        return _("Terminal alone") if entry.actor_terminal is not None else "–"

    def where(self, entry: AuditLog) -> str:
        parts = []
        if entry.actor_terminal is not None:
            parts.append(_("Terminal “%(name)s”") % {"name": entry.actor_terminal.name})
        if entry.address:
            parts.append(entry.address)
        return " · ".join(parts) or "–"

    def changes(self, entry: AuditLog) -> list[Change]:
        data = entry.data if isinstance(entry.data, dict) else {}
        model = self.model(entry)
        before, after = data.get("before"), data.get("after")
        changes = []
        if isinstance(before, dict) or isinstance(after, dict):
            before, after = before if isinstance(before, dict) else {}, after if isinstance(after, dict) else {}
            for key in [*after, *(key for key in before if key not in after)]:
                if key in before:
                    changes.append(Change(self.field(model, key), self.value(model, key, after.get(key), data),
                                          before=self.value(model, key, before[key], data)))
                else:
                    changes.append(Change(self.field(model, key), self.value(model, key, after[key], data)))
        for key, value in data.items():
            if key not in ("before", "after"):
                changes.append(Change(self.field(model, key), self.value(model, key, value, data)))
        return changes

    def field(self, model, key: str) -> str:
        if key in _KEYS:
            return capfirst(str(_KEYS[key]))
        field = _model_field(model, key)
        return capfirst(str(field.verbose_name)) if field is not None else key.replace("_", " ")

    def value(self, model, key: str, value, data: dict) -> str:
        """A value in words; what it names (a program, a role, a terminal) by its name."""
        if value is None or value == "" or value == []:
            return "–"
        if key == "program" and isinstance(value, int):
            return self.programs[value].name if value in self.programs else f"#{value}"
        if key == "amount" and isinstance(value, int) and data.get("program") in self.programs:
            return self.programs[data["program"]].behaviour.amount_text(value, signed=True)
        if key == "terminal" and isinstance(value, int):
            return self.terminals[value].name if value in self.terminals else f"#{value}"
        if key == "user" and isinstance(value, int):
            return str(self.users[value]) if value in self.users else f"#{value}"
        if key == "role" and isinstance(value, str):
            return self.roles.get(value, value)
        if key == "capabilities" and isinstance(value, list):
            return ", ".join(str(CAPABILITY[item].label) if item in CAPABILITY else str(item) for item in value)
        if key == "permissions" and isinstance(value, list):  # as the capabilities they make up
            return self.value(model, "capabilities", sorted(capabilities_from_permissions(set(value))), data)
        if key == "method" and value in _METHODS:
            return str(_METHODS[value])
        if key == "format" and value in _FORMATS:
            return _FORMATS[value]
        if key == "purpose" and value in Consent.Purpose.values:
            return str(Consent.Purpose(value).label)
        if key == "source" and value in Consent.Source.values:
            return str(Consent.Source(value).label)
        if key == "window_seconds" and isinstance(value, int):
            return number_format(value // 60)
        if key == "reverses" and isinstance(value, int):
            return str(value)
        if isinstance(value, dict):
            return "; ".join(f"{self.field(model, name)}: {self.value(model, name, item, value)}"
                             for name, item in value.items())
        if isinstance(value, list):
            return ", ".join(self.value(model, key, item, data) for item in value)
        return self._plain(model, key, value)

    def _plain(self, model, key: str, value) -> str:
        field = _model_field(model, key)
        choices = dict(field.flatchoices) if field is not None else {}
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        if not isinstance(value, list | dict) and value in choices:
            return str(choices[value])
        if isinstance(value, int):
            return money_text(value) if key.endswith("_cents") else number_format(value, force_grouping=True)
        return str(value)


def _model_field(model, key: str) -> models.Field | None:
    """The model's own field of that name (not a relation pointing at it), if any."""
    try:
        field = model._meta.get_field(key) if model is not None else None
    except FieldDoesNotExist:
        return None
    return field if isinstance(field, models.Field) else None


def audit_lines(entries) -> list[dict]:
    """Entries as the audit log shows them: when, what, who, from where, on what, what changed."""
    entries = list(entries)
    reader = _Reader(entries)
    return [{"entry": entry, "action": action_label(entry.action), "who": reader.who(entry),
             "where": reader.where(entry), "target": reader.target(entry), "changes": reader.changes(entry)}
            for entry in entries]
