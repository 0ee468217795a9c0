"""alice's staff, roles and invitations are invisible from bob's and charlie's hosts: not listed,
not editable with alice's ids (404, nothing changes), and alice's invitation link does not work."""
import re

import pytest
from django.contrib.auth.models import Group
from django_tenants.utils import schema_context

from loyalty.actors import Actor
from loyalty.models import AuditLog
from loyalty.services.staff import role_create
from loyalty.tests.staff.conftest import person, sign_in
from tenants.accounts.models import User
from tests.support.baseline import owner_email
from tests.support.clients import HostClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def alices_staff(alice, alices_owner):
    colleague = person(alice, "geheim@alice.example", "manager", full_name="Gerda Geheim")
    with schema_context("alice"):
        role = role_create(name="Alices Sonderrolle", capabilities=["journal"], actor=Actor(user=alices_owner))
    return colleague, role


def _state(schema):
    with schema_context(schema):
        return (sorted(User.objects.values_list("pk", "email", "is_active", "is_superuser")),
                sorted(Group.objects.values_list("pk", "name")), AuditLog.objects.count())


@pytest.mark.parametrize("other", ["bob", "charlie"])
def test_alices_staff_are_not_listed_nor_editable_from_another_host(alices_staff, other, request):
    colleague, role = alices_staff
    merchant = request.getfixturevalue(other)
    client = sign_in(merchant, owner_email(other))  # its own audit row, before what is checked
    before_other, before_alice = _state(other), _state("alice")
    with schema_context(other):
        assert not User.objects.filter(pk=colleague.pk).exists()  # alice's id is free here

    listing = client.get("/manage/staff/").content.decode()
    answers = [client.get(f"/manage/staff/{colleague.pk}/").status_code,
               client.post(f"/manage/staff/{colleague.pk}/", {"role": "cashier"}).status_code,
               client.get(f"/manage/staff/{colleague.pk}/deactivate/").status_code,
               client.post(f"/manage/staff/{colleague.pk}/deactivate/").status_code,
               client.post(f"/manage/staff/{colleague.pk}/reactivate/").status_code,
               client.post(f"/manage/staff/{colleague.pk}/invitation/").status_code,
               client.post(f"/manage/staff/{colleague.pk}/two-factor-reset/").status_code,
               client.get(f"/manage/staff/roles/{role.group_id}/").status_code,
               client.post(f"/manage/staff/roles/{role.group_id}/", {"capabilities": ["staff"]}).status_code]

    assert answers == [404] * len(answers)
    assert "geheim@alice.example" not in listing and "Gerda" not in listing and "Sonderrolle" not in listing
    assert _state(other) == before_other and _state("alice") == before_alice


@pytest.mark.parametrize("other", ["bob", "charlie"])
def test_alices_invitation_link_does_not_work_on_another_host(
        alice, alices_owner, other, request, mailoutbox, django_capture_on_commit_callbacks):
    merchant = request.getfixturevalue(other)
    owner = sign_in(alice, owner_email("alice"))
    with django_capture_on_commit_callbacks(execute=True):
        owner.post("/manage/staff/", {"full_name": "Neu", "email": "neu@alice.example", "role": "manager"})
    path = re.search(r"/manage/invitation/\S+/", mailoutbox[-1].body).group(0)
    before = _state(other)

    elsewhere = HostClient(merchant.primary_host)
    page = elsewhere.get(path, follow=True)
    tried = elsewhere.post(page.redirect_chain[-1][0] if page.redirect_chain else path,
                           {"new_password1": "Ein neues Passwort", "new_password2": "Ein neues Passwort"})

    assert page.context["validlink"] is False
    assert tried.status_code == 200 and tried.context["validlink"] is False
    assert _state(other) == before
    assert elsewhere.get("/manage/").status_code == 302
