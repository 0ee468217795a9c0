"""A Django test client bound to one host, the way a browser is bound to one origin."""
from django.test import Client


class HostClient(Client):
    def __init__(self, host: str, **defaults):
        super().__init__(HTTP_HOST=host, **defaults)
        self.host = host
