"""The roles and the permission matrix: what each role may do is the Django permissions of its
capabilities, and the staff page shows it in plain words."""
import pytest
from django.contrib.auth.models import Group
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.models import AuditLog
from loyalty.pos.services import CASHIER_PERMISSIONS, cashier_group
from loyalty.roles import BUILT_IN_ROLES, CAPABILITY, CASHIER, MANAGER, OWNER, role_of
from loyalty.services.staff import StaffChangeRefused, role_change, role_create
from loyalty.tests.staff.conftest import sign_in
from tenants.accounts.models import User
from tests.support.baseline import owner_email

pytestmark = pytest.mark.django_db


def test_the_cashier_role_is_the_tills_permissions_and_cashier_group_makes_it():
    assert BUILT_IN_ROLES[CASHIER].permissions == {f"loyalty.{code}" for code in CASHIER_PERMISSIONS}


def test_a_manager_may_run_the_shop_but_not_staff_api_keys_or_settings(alice, manager):
    with schema_context("alice"):
        manager = User.objects.get(pk=manager.pk)
        assert manager.has_perms(["loyalty.use_back_office", "loyalty.reverse_booking", "loyalty.change_program",
                                  "loyalty.add_terminal", "loyalty.view_booking", "loyalty.export_data",
                                  "loyalty.add_booking"])
        assert not any(manager.has_perm(code) for code in (
            "accounts.change_user", "loyalty.add_apikey", "loyalty.change_shopsettings"))
        assert role_of(manager).key == MANAGER


def test_the_owner_is_a_superuser_and_has_every_capability(alice, alices_owner):
    with schema_context("alice"):
        assert role_of(alices_owner).key == OWNER
        assert BUILT_IN_ROLES[OWNER].capabilities == set(CAPABILITY)


def test_cashier_group_is_the_cashier_role_made_once(alice):
    with schema_context("alice"):
        first, again = cashier_group(), cashier_group()
        assert first.pk == again.pk and first.name == BUILT_IN_ROLES[CASHIER].group_name
        assert AuditLog.objects.filter(action="group.create", object_id=str(first.pk)).count() == 1


def test_a_custom_role_gets_what_was_ticked_and_the_back_office_with_a_page_of_it(alice, alices_owner):
    with schema_context("alice"):
        role = role_create(name="Aushilfe mit Journal", capabilities=["book", "journal"],
                           actor=Actor(user=alices_owner))
        helper = User.objects.create_user("aushilfe@alice.example", "x")
        helper.groups.add(Group.objects.get(pk=role.group_id))
        helper = User.objects.get(pk=helper.pk)

        assert role.capabilities == {"book", "journal", "back_office"}
        assert helper.has_perms(["loyalty.add_booking", "loyalty.view_booking", "loyalty.use_back_office"])
        assert not helper.has_perm("loyalty.change_program")
        assert role_of(helper).name == "Aushilfe mit Journal"
        audit = AuditLog.objects.get(action="role.create")
        assert audit.actor_user == alices_owner and audit.data["capabilities"] == ["back_office", "book", "journal"]

        changed = role_change(role=role, capabilities=["book"], actor=Actor(user=alices_owner))
        helper = User.objects.get(pk=helper.pk)
        assert changed.capabilities == {"book"} and not helper.has_perm("loyalty.view_booking")
        assert AuditLog.objects.get(action="role.change").data == {
            "before": {"capabilities": ["back_office", "book", "journal"]}, "after": {"capabilities": ["book"]}}


def test_only_an_owner_composes_roles_and_a_name_is_not_taken_twice(alice, alices_owner, manager):
    with schema_context("alice"):
        with pytest.raises(StaffChangeRefused):
            role_create(name="Mehr", capabilities=["staff"], actor=Actor(user=manager))
        with pytest.raises(StaffChangeRefused) as taken:
            role_create(name="manager", capabilities=["book"], actor=Actor(user=alices_owner))
        assert taken.value.field == "name"
        assert not AuditLog.objects.filter(action="role.create").exists()


def test_the_staff_page_shows_the_matrix_in_plain_words(alice):
    owner = sign_in(alice, owner_email("alice"), HTTP_ACCEPT_LANGUAGE="en")

    page = owner.get("/manage/staff/").content.decode()

    for words in ("Book at the till", "Reverse any booking (not only one&#x27;s own recent ones)",
                  "Manage staff", "Export all data", "Owner", "Manager", "Cashier"):
        assert words in page
    matrix = page[page.index('class="matrix"'):]
    assert matrix.count("<tr>") == len(CAPABILITY) + 1


def test_a_custom_role_is_made_from_the_page_and_shows_in_the_matrix(alice):
    owner = sign_in(alice, owner_email("alice"), HTTP_ACCEPT_LANGUAGE="en")

    refused = owner.post("/manage/staff/roles/new/", {"name": "Kasse/Cashier", "capabilities": ["book"]})
    made = owner.post("/manage/staff/roles/new/", {"name": "Frühschicht", "capabilities": ["book", "programs"]})

    assert refused.status_code == 200 and "exists already" in refused.content.decode()
    assert 'value="Kasse/Cashier"' in refused.content.decode()  # what was typed stays
    assert made.status_code == 302
    assert "Frühschicht" in owner.get("/manage/staff/").content.decode()


def test_a_manager_cannot_compose_roles(alice, manager):
    client = sign_in(alice, manager.email)
    assert client.get("/manage/staff/roles/new/").status_code == 403


def test_a_custom_roles_capabilities_are_changed_on_its_page_and_its_name_stays(alice, alices_owner):
    with schema_context("alice"):
        role = role_create(name="Aushilfe", capabilities=["book"], actor=Actor(user=alices_owner))
    owner = sign_in(alice, owner_email("alice"))

    page = owner.get(f"/manage/staff/roles/{role.group_id}/")
    changed = owner.post(f"/manage/staff/roles/{role.group_id}/", {"name": "Umbenannt",
                                                                    "capabilities": ["book", "journal"]})

    assert page.context["form"].initial["capabilities"] == ["book"]
    assert changed.status_code == 302
    with schema_context("alice"):
        group = Group.objects.get(pk=role.group_id)
        assert group.name == "Aushilfe"
        assert {permission.codename for permission in group.permissions.all()} == {
            "view_card", "add_booking", "view_booking", "use_back_office"}
