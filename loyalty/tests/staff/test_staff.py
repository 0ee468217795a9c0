"""The staff page: the list, invitations by e-mail, role changes, deactivation that ends every
session (back office and till), reactivation, and at least one active owner at all times."""
import re

import pytest
from django.contrib.auth.models import Group
from django.utils import translation
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.models import AuditLog
from loyalty.roles import BUILT_IN_ROLES, CASHIER, MANAGER, OWNER, role_of
from loyalty.services.staff import StaffChangeRefused, staff_deactivate, staff_role_change
from loyalty.tests.staff.conftest import person, sign_in
from tenants.accounts.models import User
from tests.support.baseline import PASSWORD, owner_email
from tests.support.clients import HostClient

pytestmark = pytest.mark.django_db

INVITE = {"full_name": "Kai Kasse", "email": "Kai@Alice.example", "role": "cashier"}


def _audit(action):
    with schema_context("alice"):
        return list(AuditLog.objects.filter(action=action).values("actor_user", "data"))


def test_the_list_shows_name_email_role_status_two_factor_and_last_sign_in(alice, manager, cashier):
    owner = sign_in(alice, owner_email("alice"), HTTP_ACCEPT_LANGUAGE="en")
    with schema_context("alice"):
        User.objects.filter(pk=cashier.pk).update(is_active=False)

    page = owner.get("/manage/staff/")

    rows = {row["person"].email: row for row in page.context["people"]}
    assert rows[manager.email]["role"].key == MANAGER and rows[cashier.email]["role"].key == CASHIER
    assert rows[owner_email("alice")]["person"].last_login is not None
    body = page.content.decode()
    for text in ("Mia Leitung", manager.email, "Manager", "deactivated", "Last sign-in", "never"):
        assert text in body


def test_an_invitation_makes_a_colleague_without_password_and_mails_a_link_to_this_host(
        alice, mailoutbox, django_capture_on_commit_callbacks):
    owner = sign_in(alice, owner_email("alice"))

    with django_capture_on_commit_callbacks(execute=True):
        response = owner.post("/manage/staff/", INVITE)

    assert response.status_code == 302 and response["Location"] == "/manage/staff/"
    with schema_context("alice"):
        invited = User.objects.get(email="kai@alice.example")
        assert not invited.has_usable_password() and invited.full_name == "Kai Kasse"
        assert role_of(invited).key == CASHIER
    assert _audit("staff.invite")[0]["data"]["after"] == {"email": "kai@alice.example", "full_name": "Kai Kasse",
                                                          "role": "cashier"}
    mail = mailoutbox[-1]
    assert mail.to == ["kai@alice.example"]
    link = re.search(r"http://alice\.stammkunde\.localhost\S*/manage/invitation/\S+/", mail.body).group(0)

    # The cashier chooses a password, is told to sign in at the till, and can.
    browser = HostClient(alice.primary_host, HTTP_ACCEPT_LANGUAGE="en")
    form = browser.get(link.split("localhost", 1)[1], follow=True)
    chosen = browser.post(form.redirect_chain[-1][0], {"new_password1": "Brötchen am Morgen",
                                                       "new_password2": "Brötchen am Morgen"})
    assert chosen.status_code == 200 and "At the till, sign in with your e-mail address" in chosen.content.decode()
    with schema_context("alice"):
        assert User.objects.get(email="kai@alice.example").check_password("Brötchen am Morgen")


def test_an_invited_manager_is_signed_in_to_the_back_office_after_choosing_a_password(
        alice, mailoutbox, django_capture_on_commit_callbacks):
    owner = sign_in(alice, owner_email("alice"))
    with django_capture_on_commit_callbacks(execute=True):
        owner.post("/manage/staff/", {**INVITE, "email": "mia@alice.example", "role": "manager"})
    path = re.search(r"/manage/invitation/\S+/", mailoutbox[-1].body).group(0)
    browser = HostClient(alice.primary_host)
    form = browser.get(path, follow=True)

    chosen = browser.post(form.redirect_chain[-1][0], {"new_password1": "Kuchen am Nachmittag",
                                                       "new_password2": "Kuchen am Nachmittag"})

    assert chosen.status_code == 302 and chosen["Location"] == "/manage/"
    assert browser.get("/manage/").status_code == 200


def test_an_invitation_to_a_taken_address_is_refused_and_keeps_what_was_typed(alice, manager, mailoutbox):
    owner = sign_in(alice, owner_email("alice"), HTTP_ACCEPT_LANGUAGE="en")

    response = owner.post("/manage/staff/", {**INVITE, "email": manager.email.upper()})

    assert response.status_code == 200
    body = response.content.decode()
    assert "on the staff already" in body and 'value="Kai Kasse"' in body
    assert response.context["form"].errors["email"]
    assert mailoutbox == [] and _audit("staff.invite") == []


def test_an_invitation_can_be_sent_again_until_it_is_accepted(
        alice, mailoutbox, django_capture_on_commit_callbacks):
    owner = sign_in(alice, owner_email("alice"))
    with django_capture_on_commit_callbacks(execute=True):
        owner.post("/manage/staff/", INVITE)
    with schema_context("alice"):
        invited = User.objects.get(email="kai@alice.example")

    with django_capture_on_commit_callbacks(execute=True):
        again = owner.post(f"/manage/staff/{invited.pk}/invitation/")

    assert again.status_code == 302 and len(mailoutbox) == 2 and mailoutbox[1].to == ["kai@alice.example"]
    assert len(_audit("staff.invitation_resend")) == 1
    with schema_context("alice"):
        invited.set_password(PASSWORD)
        invited.save()
    with django_capture_on_commit_callbacks(execute=True):
        owner.post(f"/manage/staff/{invited.pk}/invitation/")
    assert len(mailoutbox) == 2 and len(_audit("staff.invitation_resend")) == 1


def test_a_role_change_is_audited_with_before_and_after_and_ends_their_sessions(alice, cashier, till_client):
    owner = sign_in(alice, owner_email("alice"))
    their_till = till_client(alice, cashier.email)

    response = owner.post(f"/manage/staff/{cashier.pk}/", {"role": "manager"})

    assert response.status_code == 302
    assert their_till.get("/pos/")["Location"].startswith("/pos/login/")
    with schema_context("alice"):
        assert role_of(User.objects.get(pk=cashier.pk)).key == MANAGER
        assert User.objects.get(pk=cashier.pk).has_perm("loyalty.use_back_office")
    assert _audit("staff.role_change")[0]["data"] == {"before": {"role": "cashier"}, "after": {"role": "manager"}}


def test_deactivating_asks_first_and_ends_the_sessions_in_the_back_office_and_at_the_till(
        alice, manager, till_client):
    owner = sign_in(alice, owner_email("alice"), HTTP_ACCEPT_LANGUAGE="en")
    their_back_office = sign_in(alice, manager.email)
    their_till = till_client(alice, manager.email)
    assert their_back_office.get("/manage/").status_code == 200
    assert their_till.get("/pos/").status_code == 200

    confirmation = owner.get(f"/manage/staff/{manager.pk}/deactivate/")
    assert confirmation.status_code == 200 and "signed out at once" in confirmation.content.decode()
    with schema_context("alice"):
        assert User.objects.get(pk=manager.pk).is_active  # asking changed nothing
    done = owner.post(f"/manage/staff/{manager.pk}/deactivate/")

    assert done.status_code == 302
    back_office = their_back_office.get("/manage/")
    assert back_office.status_code == 302 and back_office["Location"].startswith("/manage/login/")
    till = their_till.get("/pos/")
    assert till.status_code == 302 and till["Location"].startswith("/pos/login/")
    assert _audit("staff.deactivate")[0]["data"] == {"before": {"is_active": True}, "after": {"is_active": False}}
    refused = HostClient(alice.primary_host).post("/manage/login/", {"username": manager.email, "password": PASSWORD})
    assert refused.status_code == 200


def test_reactivating_lets_them_sign_in_again_but_old_sessions_stay_ended(alice, manager):
    owner = sign_in(alice, owner_email("alice"))
    old_session = sign_in(alice, manager.email)
    owner.post(f"/manage/staff/{manager.pk}/deactivate/")

    response = owner.post(f"/manage/staff/{manager.pk}/reactivate/")

    assert response.status_code == 302
    assert old_session.get("/manage/").status_code == 302
    assert sign_in(alice, manager.email).get("/manage/").status_code == 200
    assert len(_audit("staff.reactivate")) == 1


def test_the_last_active_owner_cannot_be_demoted_or_deactivated_and_nothing_changes(alice, alices_owner):
    with schema_context("alice"):
        audit_before = AuditLog.objects.count()
        with translation.override("en"), pytest.raises(StaffChangeRefused, match="only active owner"):
            staff_role_change(person=alices_owner, role=BUILT_IN_ROLES[MANAGER], actor=Actor(user=alices_owner))
        with pytest.raises(StaffChangeRefused):
            staff_deactivate(person=alices_owner, actor=Actor(user=alices_owner))
        owner = User.objects.get(pk=alices_owner.pk)
        assert owner.is_superuser and owner.is_active and not owner.groups.exists()
        assert AuditLog.objects.count() == audit_before


def test_the_last_active_owner_is_refused_on_the_page_too(alice, alices_owner):
    owner = sign_in(alice, owner_email("alice"), HTTP_ACCEPT_LANGUAGE="en")

    demoted = owner.post(f"/manage/staff/{alices_owner.pk}/", {"role": "cashier"})
    deactivation = owner.get(f"/manage/staff/{alices_owner.pk}/deactivate/")
    deactivated = owner.post(f"/manage/staff/{alices_owner.pk}/deactivate/")

    assert demoted.status_code == 200 and "only active owner" in demoted.content.decode()
    assert "Yes, deactivate" not in deactivation.content.decode()
    assert deactivated.status_code == 302
    assert owner.get("/manage/").status_code == 200  # still signed in: no lock-out
    with schema_context("alice"):
        assert User.objects.filter(is_superuser=True, is_active=True).count() == 1
        assert not Group.objects.filter(user=alices_owner).exists()


def test_with_a_second_owner_one_may_step_down_but_nobody_deactivates_themselves(alice, alices_owner):
    second = person(alice, "partnerin@alice.example", OWNER)
    with schema_context("alice"):
        staff_role_change(person=alices_owner, role=BUILT_IN_ROLES[MANAGER], actor=Actor(user=alices_owner))
        assert role_of(User.objects.get(pk=alices_owner.pk)).key == MANAGER
        with translation.override("en"), pytest.raises(StaffChangeRefused, match="cannot deactivate yourself"):
            staff_deactivate(person=second, actor=Actor(user=User.objects.get(pk=second.pk)))


def test_someone_who_manages_staff_but_is_no_owner_cannot_touch_owners_or_give_more_than_they_may(
        alice, alices_owner, cashier):
    from loyalty.services.staff import role_create

    with schema_context("alice"):
        role = role_create(name="Schichtleitung", capabilities=["book", "staff"], actor=Actor(user=alices_owner))
        lead = User.objects.create_user("schicht@alice.example", PASSWORD)
        lead.groups.add(Group.objects.get(pk=role.group_id))
    client = sign_in(alice, lead.email)

    on_owner = client.post(f"/manage/staff/{alices_owner.pk}/deactivate/")
    promote = client.post(f"/manage/staff/{cashier.pk}/", {"role": "manager"})
    invite_owner = client.post("/manage/staff/", {**INVITE, "role": "owner"})

    assert on_owner.status_code == 302
    assert promote.status_code == 200 and invite_owner.status_code == 200
    with schema_context("alice"):
        assert User.objects.get(pk=alices_owner.pk).is_active
        assert role_of(User.objects.get(pk=cashier.pk)).key == CASHIER
        assert not User.objects.filter(email="kai@alice.example").exists()
        assert not AuditLog.objects.filter(action__startswith="staff.").exists()


def test_a_cashier_gets_403_on_the_staff_pages(alice, cashier):
    client = sign_in(alice, cashier.email)
    assert [client.get(path).status_code for path in ("/manage/staff/", f"/manage/staff/{cashier.pk}/",
                                                      "/manage/account/two-factor/")] == [403, 403, 403]


def test_a_deactivated_persons_invitation_link_does_not_work(
        alice, mailoutbox, django_capture_on_commit_callbacks):
    owner = sign_in(alice, owner_email("alice"))
    with django_capture_on_commit_callbacks(execute=True):
        owner.post("/manage/staff/", INVITE)
    with schema_context("alice"):
        invited = User.objects.get(email="kai@alice.example")
    owner.post(f"/manage/staff/{invited.pk}/deactivate/")
    path = re.search(r"/manage/invitation/\S+/", mailoutbox[-1].body).group(0)

    page = HostClient(alice.primary_host).get(path, follow=True)

    assert page.context["validlink"] is False
