from django.contrib.auth import views as auth_views
from django.urls import include, path

from hq import views

urlpatterns = [
    path("", views.MerchantListView.as_view(), name="home"),
    path("login/", views.OperatorLoginView.as_view(), name="login"),
    path("login/code/", views.TwoFactorView.as_view(), name="two-factor"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("merchants/new/", views.OnboardingView.as_view(), name="onboarding"),
    path("merchants/<int:pk>/", views.MerchantDetailView.as_view(), name="merchant-detail"),
    path("print-orders/", include("hq.printing.urls")),
]
