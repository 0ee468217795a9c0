"""The roles of a merchant's staff and what each may do, in plain words.

A capability ("Book at the till") is a set of Django permissions; a role is a set of
capabilities. Owner means `is_superuser` (every permission in the merchant's own schema); Manager
and Cashier are groups made with their permissions on first use; custom roles are groups the owner
composes by ticking capabilities. Pages and services check Django permissions only; this module
says which permissions make up what."""
from dataclasses import dataclass

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from loyalty.actors import Actor
from loyalty.services.audit import audit_record


@dataclass(frozen=True)
class Capability:
    key: str
    label: Promise
    permissions: tuple[str, ...]  # "app_label.codename"
    # Whether it is a page of the back office: ticking it gives "Use the back office" as well.
    in_back_office: bool = True


def _crud(*models: str) -> tuple[str, ...]:
    return tuple(f"loyalty.{action}_{model}" for model in models for action in ("add", "change", "delete", "view"))


CAPABILITIES = (
    Capability("book", _("Book at the till"), ("loyalty.view_card", "loyalty.add_booking"), in_back_office=False),
    Capability("hand_out_cards", _("Hand out cards"), ("loyalty.add_cardholder",), in_back_office=False),
    Capability("reverse_any", _("Reverse any booking (not only one's own recent ones)"),
               ("loyalty.reverse_booking",), in_back_office=False),
    Capability("back_office", _("Use the back office"), ("loyalty.use_back_office",)),
    Capability("journal", _("See the journal of all bookings"), ("loyalty.view_booking",)),
    Capability("programs", _("Manage programs, rewards and bonus actions"), _crud("program", "reward", "bonusaction")),
    Capability("cardholders", _("See and edit cardholders"), ("loyalty.view_cardholder", "loyalty.change_cardholder")),
    Capability("adjust", _("Correct balances by hand, with a reason"), ("loyalty.change_account",)),
    Capability("custom_fields", _("Define own cardholder fields"),
               ("loyalty.add_customfield", "loyalty.change_customfield", "loyalty.view_customfield")),
    Capability("import", _("Import cardholders from a file"),
               ("loyalty.add_cardholderimport", "loyalty.view_cardholderimport")),
    Capability("audit_log", _("See the audit log"), ("loyalty.view_auditlog",)),
    Capability("statistics", _("See the statistics"), ("loyalty.view_statistics",)),
    Capability("export", _("Export all data"), ("loyalty.export_data",)),
    Capability("terminals", _("Manage terminals"),
               ("loyalty.add_terminal", "loyalty.change_terminal", "loyalty.view_terminal")),
    Capability("staff", _("Manage staff"), ("accounts.add_user", "accounts.change_user", "accounts.view_user")),
    Capability("api_keys", _("Manage API keys"), ("loyalty.add_apikey", "loyalty.change_apikey", "loyalty.view_apikey")),
    Capability("settings", _("Change settings"), ("loyalty.change_shopsettings",)),
)
CAPABILITY = {capability.key: capability for capability in CAPABILITIES}
BACK_OFFICE = "back_office"

OWNER, MANAGER, CASHIER = "owner", "manager", "cashier"
CUSTOM_PREFIX = "custom-"


@dataclass(frozen=True)
class Role:
    key: str  # "owner", "manager", "cashier" or "custom-<group id>"
    name: str
    capabilities: frozenset[str]
    group_name: str | None = None  # None: the owner, who is a superuser and in no group
    built_in: bool = True

    @property
    def permissions(self) -> frozenset[str]:
        return frozenset(code for key in self.capabilities for code in CAPABILITY[key].permissions)

    @property
    def group_id(self) -> int | None:
        """A custom role's group, for its page."""
        return None if self.built_in else int(self.key[len(CUSTOM_PREFIX):])

    def can(self, capability: Capability) -> bool:
        return capability.key in self.capabilities


# Managers run the shop day to day; staff, API keys and the settings stay with the owner.
_MANAGER_CAPABILITIES = frozenset(CAPABILITY) - {"staff", "api_keys", "settings"}
# The till only (loyalty.pos.services.CASHIER_PERMISSIONS): look up a card, book, hand out a card.
_CASHIER_CAPABILITIES = frozenset({"book", "hand_out_cards"})

BUILT_IN_ROLES = {
    OWNER: Role(OWNER, _("Owner"), frozenset(CAPABILITY)),
    MANAGER: Role(MANAGER, _("Manager"), _MANAGER_CAPABILITIES, group_name="Leitung/Manager"),
    # The name the till's first version gave the group; kept so that existing cashiers stay cashiers.
    CASHIER: Role(CASHIER, _("Cashier"), _CASHIER_CAPABILITIES, group_name="Kasse/Cashier"),
}
_BUILT_IN_GROUPS = {role.group_name: role for role in BUILT_IN_ROLES.values() if role.group_name}


def permissions_of(codes) -> "list[Permission]":
    query = Q(pk__in=[])
    for code in codes:
        app_label, codename = code.split(".")
        query |= Q(content_type__app_label=app_label, codename=codename)
    return list(Permission.objects.filter(query))


def capabilities_from_permissions(codes: set[str]) -> frozenset[str]:
    """The capabilities whose every permission is among these."""
    return frozenset(capability.key for capability in CAPABILITIES if set(capability.permissions) <= codes)


def _group_codes(group: Group) -> set[str]:
    return {f"{app_label}.{codename}"
            for app_label, codename in group.permissions.values_list("content_type__app_label", "codename")}


def role_of_group(group: Group) -> Role:
    if group.name in _BUILT_IN_GROUPS:
        return _BUILT_IN_GROUPS[group.name]
    return Role(f"{CUSTOM_PREFIX}{group.pk}", group.name, capabilities_from_permissions(_group_codes(group)),
                group_name=group.name, built_in=False)


def role_of(user) -> Role | None:
    """The person's role: Owner for a superuser, else the role of their group (None without one)."""
    if user.is_superuser:
        return BUILT_IN_ROLES[OWNER]
    # All of the groups, not first(): a list of people prefetches them (one query for all).
    group = min(user.groups.all(), key=lambda group: group.pk, default=None)
    return role_of_group(group) if group is not None else None


def roles_all() -> list[Role]:
    """Owner, Manager, Cashier and the custom roles, in that order (for the matrix and the forms)."""
    custom = Group.objects.exclude(name__in=_BUILT_IN_GROUPS).order_by("name")
    return [*BUILT_IN_ROLES.values(), *(role_of_group(group) for group in custom)]


def role_by_key(key: str) -> Role | None:
    if key in BUILT_IN_ROLES:
        return BUILT_IN_ROLES[key]
    if key.startswith(CUSTOM_PREFIX) and key[len(CUSTOM_PREFIX):].isdigit():
        group = Group.objects.exclude(name__in=_BUILT_IN_GROUPS).filter(pk=int(key[len(CUSTOM_PREFIX):])).first()
        return role_of_group(group) if group is not None else None
    return None


def capabilities_with_back_office(keys) -> frozenset[str]:
    """What was ticked, and "Use the back office" with it when any page of the back office was."""
    keys = frozenset(keys)
    if any(CAPABILITY[key].in_back_office for key in keys):
        keys |= {BACK_OFFICE}
    return keys


@transaction.atomic
def role_group(role: Role) -> Group:
    """The group of a role that has one, made with its permissions on first use."""
    group, created = Group.objects.get_or_create(name=role.group_name)
    if created:
        group.permissions.set(permissions_of(role.permissions))
        audit_record(actor=Actor.system("setup"), action="group.create", target=group,
                     permissions=sorted(role.permissions))
    return group
