"""Chooses the merchant's schema by the request's host (django-tenants), with the host look-up
kept in each process (tenants.routing) instead of a query on every request."""
from django.core.exceptions import DisallowedHost
from django.db import connection
from django.http import HttpResponseNotFound
from django_tenants.middleware.main import TenantMainMiddleware
from django_tenants.utils import get_tenant_domain_model

from tenants.routing import merchant_for_host


def _merchant_from_database(hostname: str):
    connection.set_schema_to_public()  # the domains live in the public schema
    domain = get_tenant_domain_model().objects.select_related("tenant").get(domain=hostname)
    return domain.tenant


class TenantMiddleware(TenantMainMiddleware):
    def process_request(self, request):
        try:
            hostname = self.hostname_from_request(request)
        except DisallowedHost:
            return HttpResponseNotFound()
        try:
            tenant = merchant_for_host(hostname, load=_merchant_from_database)
        except get_tenant_domain_model().DoesNotExist:
            connection.set_schema_to_public()
            return self.no_tenant_found(request, hostname)
        tenant.domain_url = hostname
        request.tenant = tenant
        connection.set_tenant(tenant)
        self.setup_url_routing(request)
