"""Read-side queries over merchants."""
from django.db.models import Q, QuerySet
from django_tenants.utils import get_public_schema_name

from tenants.models import Merchant


def merchant_list(*, search: str = "") -> QuerySet[Merchant]:
    """Every merchant (not the operator's own public row), with its domains preloaded."""
    merchants = Merchant.objects.exclude(schema_name=get_public_schema_name())
    if search:
        merchants = merchants.filter(
            Q(name__icontains=search) | Q(domains__domain__icontains=search)
        ).distinct()
    return merchants.prefetch_related("domains").order_by("name")


def merchant_current() -> Merchant:
    """The merchant whose schema the connection is on (a request, a task or a schema_context)."""
    from django.db import connection

    tenant = getattr(connection, "tenant", None)
    if isinstance(tenant, Merchant):
        return tenant
    return Merchant.objects.get(schema_name=connection.schema_name)
