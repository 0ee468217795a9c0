from django.contrib.auth import views as auth_views
from django.urls import path

from hq import views

urlpatterns = [
    path("", views.MerchantListView.as_view(), name="home"),
    path("login/", views.OperatorLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
