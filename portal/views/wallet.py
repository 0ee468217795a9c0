"""The card in the phone's wallet: the .pkpass download and Apple's pass web service."""
from django.http import Http404
from django.urls import path


def not_built_yet(request, **kwargs):
    raise Http404


urlpatterns = [
    path("card/<str:number>/wallet.pkpass", not_built_yet, name="wallet_pass"),
]

# Apple's pass web service (PassKit Web Service Reference), below <host>/wallet/.
service_urlpatterns = [
    path("v1/devices/<str:device>/registrations/<str:pass_type>/<str:serial>", not_built_yet,
         name="wallet_registration"),
    path("v1/devices/<str:device>/registrations/<str:pass_type>", not_built_yet, name="wallet_updated_passes"),
    path("v1/passes/<str:pass_type>/<str:serial>", not_built_yet, name="wallet_latest_pass"),
    path("v1/log", not_built_yet, name="wallet_log"),
]
