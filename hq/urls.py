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
    path("merchants/<int:pk>/licence/", views.LicenceChangeView.as_view(), name="merchant-licence"),
    path("merchants/<int:pk>/notice/", views.NoticeView.as_view(), name="merchant-notice"),
    path("merchants/<int:pk>/notice/withdraw/", views.NoticeWithdrawView.as_view(), name="merchant-notice-withdraw"),
    path("print-orders/", include("hq.printing.urls")),
]
