"""The signed-in cardholder's profile and consents, their own data as a download, and deletion confirmed by e-mail."""
from django.http import Http404
from django.urls import path


def not_built_yet(request, **kwargs):
    raise Http404


urlpatterns = [
    path("profile/", not_built_yet, name="profile"),
    path("profile/consents/", not_built_yet, name="consents"),
    path("profile/email/<str:token>/", not_built_yet, name="confirm_new_email"),
    path("profile/data/", not_built_yet, name="data"),
    path("profile/data.json", not_built_yet, name="data_json"),
    path("profile/data.csv", not_built_yet, name="data_csv"),
    path("profile/delete/", not_built_yet, name="delete"),
    path("profile/delete/<str:token>/", not_built_yet, name="delete_confirm"),
]
