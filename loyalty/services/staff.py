"""The merchant's staff: invitations, roles, deactivation, and who signs in with a second factor.

The rules of who may change whom live here once (`staff_change_refusal`); the staff page asks
them before it offers an action, and every write asks them again. There is always at least one
active owner, and nobody deactivates themselves (an owner cannot lock themselves out)."""
from django.conf import settings as django_settings
from django.contrib.auth.models import Group
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, F, Q
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from loyalty.actors import Actor
from loyalty.catalog import catalog
from loyalty.models import ShopSettings
from loyalty.roles import (
    BUILT_IN_ROLES,
    CUSTOM_PREFIX,
    OWNER,
    Role,
    capabilities_with_back_office,
    permissions_of,
    role_group,
    role_of,
)
from loyalty.services.audit import audit_record
from tenants.accounts.invitations import invitation_link
from tenants.accounts.models import AuthenticatorDevice, User
from tenants.selectors import merchant_current

BACK_OFFICE_PERMISSION = "loyalty.use_back_office"


class StaffChangeRefused(Exception):
    """A change of staff the rules do not allow; the message says why, for the page."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message, self.field = message, field


# --- Reads ------------------------------------------------------------------------------------------

def staff_list():
    """Everyone of the merchant's, active first, with whether their authenticator is set up."""
    return (User.objects.annotate(two_factor_devices=Count("authenticatordevice",
                                                           filter=Q(authenticatordevice__confirmed=True)))
            .prefetch_related("groups").order_by("-is_active", F("last_login").desc(nulls_last=True), "email"))


def two_factor_set_up(user: User) -> bool:
    return AuthenticatorDevice.objects.filter(user=user, confirmed=True).exists()


def two_factor_needed(user: User) -> bool:
    """Whether this person's sign-in to the back office asks for an authenticator code: always once
    they have set an authenticator up, and for everyone with back-office access while the owner
    requires it (a first sign-in then sets the authenticator up)."""
    if two_factor_set_up(user):
        return True
    return catalog().settings.two_factor_required and user.has_perm(BACK_OFFICE_PERMISSION)


def invitation_open(user: User) -> bool:
    """Invited, and the password not chosen yet."""
    return user.is_active and not user.has_usable_password()


def _is_active_owner(user: User) -> bool:
    return user.is_active and user.is_superuser


def staff_change_refusal(*, actor_user: User, person: User, role: Role | None = None,
                         deactivate: bool = False) -> str | None:
    """Why `actor_user` may not give `person` this role (or deactivate them), or None when they may.
    Owners change anyone, and their own role while another owner is left; someone else who manages
    staff never touches an owner or themselves and gives only roles that do no more than they may
    do themselves. Nobody deactivates themselves."""
    if person.pk == actor_user.pk and (deactivate or not actor_user.is_superuser):
        return _("You cannot deactivate yourself or change your own role; please ask an owner.")
    if not actor_user.is_superuser:
        if person.is_superuser:
            return _("Only an owner can change an owner.")
        if role is not None and not actor_user.has_perms(role.permissions):
            return _("Only an owner can give a role that may do more than you may.")
        current = role_of(person)
        if current is not None and not actor_user.has_perms(current.permissions):
            return _("Only an owner can change someone who may do more than you may.")
    losing_an_owner = _is_active_owner(person) and (deactivate or (role is not None and role.key != OWNER))
    if losing_an_owner and not User.objects.filter(is_superuser=True, is_active=True).exclude(pk=person.pk).exists():
        return _("%(name)s is the only active owner. Make someone else an owner first: there "
                 "must always be at least one.") % {"name": person}
    return None


def roles_assignable(*, actor_user: User, roles: list[Role]) -> list[Role]:
    """The roles this person may hand out (the invitation form offers only these)."""
    if actor_user.is_superuser:
        return roles
    return [role for role in roles if role.key != OWNER and actor_user.has_perms(role.permissions)]


# --- Writes -----------------------------------------------------------------------------------------

def _role_assign(user: User, role: Role) -> None:
    user.is_superuser = role.key == OWNER
    user.save(update_fields=["is_superuser"])
    user.groups.set([] if role.group_name is None else [role_group(role)])


def _role_name(user: User) -> str:
    role = role_of(user)
    return role.key if role is not None else ""


def _refuse_unless_allowed(**rule) -> None:
    if (refusal := staff_change_refusal(**rule)) is not None:
        raise StaffChangeRefused(refusal)


@transaction.atomic
def staff_invite(*, email: str, full_name: str, role: Role, actor: Actor) -> User:
    """A new colleague with no password yet, and an e-mail (after commit) with a link to choose it."""
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise StaffChangeRefused(_("Someone with this e-mail address is on the staff already."), field="email")
    if not roles_assignable(actor_user=actor.user, roles=[role]):
        raise StaffChangeRefused(_("Only an owner can give a role that may do more than you may."), field="role")
    user = User.objects.create_user(email, None, full_name=full_name.strip())
    _role_assign(user, role)
    audit_record(actor=actor, action="staff.invite", target=user, after={
        "email": user.email, "full_name": user.full_name, "role": role.key})
    _invitation_send_after_commit(user=user, inviter=actor.user)
    return user


@transaction.atomic
def staff_invitation_resend(*, person: User, actor: Actor) -> None:
    """The invitation again, with a fresh link; for someone who has not chosen a password yet."""
    _refuse_unless_allowed(actor_user=actor.user, person=person)
    if not invitation_open(person):
        raise StaffChangeRefused(_("%(name)s has accepted the invitation already.") % {"name": person})
    audit_record(actor=actor, action="staff.invitation_resend", target=person, email=person.email)
    _invitation_send_after_commit(user=person, inviter=actor.user)


def _invitation_send_after_commit(*, user: User, inviter: User) -> None:
    merchant = merchant_current()
    link = invitation_link(merchant=merchant, user=user)
    context = {"merchant": merchant, "link": link, "inviter": inviter, "person": user}
    subject = render_to_string("loyalty/manage/staff/invitation_subject.txt", context).strip()
    body = render_to_string("loyalty/manage/staff/invitation.txt", context)
    transaction.on_commit(lambda: send_mail(subject, body, None, [user.email]))


def _sessions_end(people) -> None:
    """Every session of these people ends: they sign in again, under their role's rules of now
    (a new role with back-office access asks for the authenticator's code where it is required)."""
    people.update(session_generation=F("session_generation") + 1)


@transaction.atomic
def staff_role_change(*, person: User, role: Role, actor: Actor) -> User:
    # Owners queue on their rows, so that two owners demoting each other cannot both succeed.
    list(User.objects.select_for_update().filter(Q(is_superuser=True) | Q(pk=person.pk)).order_by("pk"))
    person.refresh_from_db()
    _refuse_unless_allowed(actor_user=actor.user, person=person, role=role)
    before = _role_name(person)
    if before == role.key:
        return person
    _role_assign(person, role)
    _sessions_end(User.objects.filter(pk=person.pk))
    audit_record(actor=actor, action="staff.role_change", target=person,
                 before={"role": before}, after={"role": role.key})
    return person


@transaction.atomic
def staff_deactivate(*, person: User, actor: Actor) -> User:
    """No more signing in anywhere; every session of theirs (back office and till) ends now."""
    list(User.objects.select_for_update().filter(Q(is_superuser=True) | Q(pk=person.pk)).order_by("pk"))
    person.refresh_from_db()
    _refuse_unless_allowed(actor_user=actor.user, person=person, deactivate=True)
    if not person.is_active:
        return person
    person.is_active = False
    person.session_generation += 1
    person.save(update_fields=["is_active", "session_generation"])
    audit_record(actor=actor, action="staff.deactivate", target=person,
                 before={"is_active": True}, after={"is_active": False})
    return person


@transaction.atomic
def staff_reactivate(*, person: User, actor: Actor) -> User:
    """Signing in again with the same password and role; sessions from before stay ended."""
    _refuse_unless_allowed(actor_user=actor.user, person=person)
    if person.is_active:
        return person
    person.is_active = True
    person.save(update_fields=["is_active"])
    audit_record(actor=actor, action="staff.reactivate", target=person,
                 before={"is_active": False}, after={"is_active": True})
    return person


@transaction.atomic
def staff_two_factor_reset(*, person: User, actor: Actor) -> User:
    """A lost phone: the person's authenticator is removed and set up again at the next sign-in;
    their sessions end, so that the next one asks for it."""
    _refuse_unless_allowed(actor_user=actor.user, person=person)
    if person.pk == actor.user.pk:
        # Whoever holds a session must not be able to swap the second factor for a new one.
        raise StaffChangeRefused(_("You cannot remove your own authenticator; please ask another owner."))
    if not AuthenticatorDevice.objects.filter(user=person).exists():
        raise StaffChangeRefused(_("%(name)s has no authenticator set up.") % {"name": person})
    removed, _per_model = AuthenticatorDevice.objects.filter(user=person).delete()
    _sessions_end(User.objects.filter(pk=person.pk))
    audit_record(actor=actor, action="staff.two_factor_reset", target=person, authenticators_removed=removed)
    return person


@transaction.atomic
def role_create(*, name: str, capabilities, actor: Actor) -> Role:
    """A custom role with the ticked capabilities (and the back office, when they need it)."""
    _refuse_unless_owner(actor)
    taken = {taken_name.lower() for role in BUILT_IN_ROLES.values()
             for taken_name in (role.key, role.group_name or "", *_in_every_language(role.name))}
    if Group.objects.filter(name__iexact=name.strip()).exists() or name.strip().lower() in taken:
        raise StaffChangeRefused(_("A role with this name exists already."), field="name")
    keys = capabilities_with_back_office(capabilities)
    group = Group.objects.create(name=name.strip())
    role = Role(f"{CUSTOM_PREFIX}{group.pk}", group.name, keys, group_name=group.name, built_in=False)
    group.permissions.set(permissions_of(role.permissions))
    audit_record(actor=actor, action="role.create", target=group, name=group.name, capabilities=sorted(keys))
    return role


@transaction.atomic
def role_change(*, role: Role, capabilities, actor: Actor) -> Role:
    """New capabilities for a custom role: everyone in it may do exactly these from the next request."""
    _refuse_unless_owner(actor)
    if role.built_in:
        raise StaffChangeRefused(_("The built-in roles are fixed; make a role of your own instead."))
    group = Group.objects.select_for_update().get(name=role.group_name)
    keys = capabilities_with_back_office(capabilities)
    changed = Role(role.key, role.name, keys, group_name=role.group_name, built_in=False)
    group.permissions.set(permissions_of(changed.permissions))
    _sessions_end(User.objects.filter(groups=group))
    audit_record(actor=actor, action="role.change", target=group, before={"capabilities": sorted(role.capabilities)},
                 after={"capabilities": sorted(keys)})
    return changed


def _refuse_unless_owner(actor: Actor) -> None:
    if not actor.user.is_superuser:
        raise StaffChangeRefused(_("Only an owner can do this."))


@transaction.atomic
def two_factor_requirement_set(*, required: bool, actor: Actor) -> ShopSettings:
    """Require (or stop requiring) the authenticator code for everyone with back-office access.
    Switching it on signs everyone else with back-office access out, so that their next sign-in
    asks for the code; the owner who switches it stays signed in."""
    _refuse_unless_owner(actor)
    settings = ShopSettings.objects.select_for_update().filter(pk=1).first() or ShopSettings()
    before = settings.two_factor_required
    if before == required and not settings._state.adding:
        return settings
    settings.two_factor_required = required
    settings.save()
    signed_out = []
    if required:
        back_office = (User.objects.filter(is_active=True).exclude(pk=actor.user.pk)
                       .filter(Q(is_superuser=True) | Q(groups__permissions__codename="use_back_office",
                                                        groups__permissions__content_type__app_label="loyalty"))
                       .distinct())
        signed_out = sorted(back_office.values_list("pk", flat=True))
        _sessions_end(User.objects.filter(pk__in=signed_out))
    audit_record(actor=actor, action="settings.two_factor_required", target=settings,
                 before={"two_factor_required": before}, after={"two_factor_required": required},
                 signed_out=signed_out)
    return settings


@transaction.atomic
def two_factor_enrolled(*, user: User, actor: Actor) -> None:
    """The record of someone setting their authenticator up from their own page."""
    audit_record(actor=actor, action="staff.two_factor_enrol", target=user)


def _in_every_language(text) -> list[str]:
    """A translatable text as each language of the site reads it."""
    names = []
    for code, _name in django_settings.LANGUAGES:
        with translation.override(code):
            names.append(str(text))
    return names
