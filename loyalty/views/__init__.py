"""The back office's pages, one module per area (loyalty/urls_manage.py)."""
from loyalty.actors import Actor
from tenants.throttling import client_address


def request_actor(request) -> Actor:
    """The signed-in person making this request, with the address it came from (for the audit log)."""
    return Actor(user=request.user, address=client_address(request))
