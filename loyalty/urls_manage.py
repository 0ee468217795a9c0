"""The merchant's back office under /manage/."""
from django.contrib.auth import views as auth_views
from django.urls import path

from loyalty.views import manage, terminals

urlpatterns = [
    path("", manage.DashboardView.as_view(), name="home"),
    path("login/", manage.ManageLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("export/", manage.ExportView.as_view(), name="export"),
    path("invitation/<uidb64>/<token>/", manage.InvitationView.as_view(), name="invitation"),
    path("terminals/", terminals.TerminalListView.as_view(), name="terminals"),
    path("terminals/<int:pk>/revoke/", terminals.TerminalRevokeView.as_view(), name="terminal-revoke"),
]
