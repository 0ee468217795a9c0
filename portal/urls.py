from django.urls import path

from portal import views

app_name = "portal"
urlpatterns = [
    path("", views.LandingView.as_view(), name="landing"),
    path("impressum/", views.ImprintView.as_view(), name="imprint"),
    path("datenschutz/", views.PrivacyView.as_view(), name="privacy"),
    path("logo/<str:version>.png", views.LogoView.as_view(), name="logo"),
]
