"""The merchant's back office under /manage/: each area's pages are in its own module of
loyalty.views, with its own `urlpatterns`."""
from django.contrib.auth import views as auth_views
from django.urls import path

from loyalty.views import (
    api_keys,
    audit,
    cardholders,
    consent_wordings,
    exports,
    imports,
    journal,
    manage,
    programs,
    reports,
    shop,
    staff,
    statistics,
    statistics_report,
    terminals,
)

urlpatterns = [
    path("", manage.DashboardView.as_view(), name="home"),
    path("login/", manage.ManageLoginView.as_view(), name="login"),
    path("login/code/", manage.ManageTwoFactorView.as_view(), name="two-factor"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("invitation/<uidb64>/<token>/", manage.InvitationView.as_view(), name="invitation"),
    *programs.urlpatterns,
    *cardholders.urlpatterns,
    *consent_wordings.urlpatterns,
    *imports.urlpatterns,
    *exports.urlpatterns,
    *journal.urlpatterns,
    *reports.urlpatterns,
    *statistics.urlpatterns,
    *audit.urlpatterns,
    *statistics_report.urlpatterns,
    *staff.urlpatterns,
    *terminals.urlpatterns,
    *shop.urlpatterns,
    *api_keys.urlpatterns,
]
