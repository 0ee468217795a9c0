"""Reads of user accounts."""
from django.contrib.auth.models import Permission
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import CharField, OuterRef, Q, Value
from django.db.models.functions import Concat

from tenants.accounts.models import User


def user_active_with_permissions(user_id) -> User | None:
    """The active user with this id and, in the same query, every permission of theirs (their own
    and their groups'), where Django's permission checks find them: has_perm() asks no more."""
    codes = (
        Permission.objects.filter(Q(user=OuterRef("pk")) | Q(group__user=OuterRef("pk")))
        .annotate(code=Concat("content_type__app_label", Value("."), "codename", output_field=CharField()))
        .values("code")
    )
    user = (User.objects.filter(pk=user_id, is_active=True)
            .annotate(permission_codes=ArraySubquery(codes)).first())
    if user is not None:
        # ModelBackend's own cache of get_all_permissions(), filled here instead of by two queries.
        user._perm_cache = set(user.permission_codes)
    return user
