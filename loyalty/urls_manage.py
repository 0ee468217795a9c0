"""The merchant's back office under /manage/."""
from django.contrib.auth import views as auth_views
from django.urls import path

from loyalty.views import manage

urlpatterns = [
    path("", manage.DashboardView.as_view(), name="home"),
    path("login/", manage.ManageLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
