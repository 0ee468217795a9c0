"""Registration with the card number and activation code or an invitation from the till, e-mail confirmation, sign-in by e-mail link or password, sign-out."""
from django.http import Http404
from django.urls import path


def not_built_yet(request, **kwargs):
    raise Http404


urlpatterns = [
    path("register/", not_built_yet, name="register"),
    path("register/details/", not_built_yet, name="register_details"),
    path("register/sent/", not_built_yet, name="register_sent"),
    path("confirm/<str:token>/", not_built_yet, name="confirm_email"),
    path("invitation/<str:token>/", not_built_yet, name="invitation"),
    path("sign-in/", not_built_yet, name="sign_in"),
    path("sign-in/link/<str:token>/", not_built_yet, name="sign_in_link"),
    path("sign-out/", not_built_yet, name="sign_out"),
    path("password/", not_built_yet, name="password"),
]
