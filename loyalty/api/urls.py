from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from loyalty.api import views

app_name = "api"
urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("programs/", views.ProgramListView.as_view(), name="programs"),
    path("cards/<str:number>/", views.CardView.as_view(), name="card"),
    path("cards/<str:number>/bookings/", views.CardBookingsView.as_view(), name="card-bookings"),
    path("bookings/<int:pk>/", views.BookingDetailView.as_view(), name="booking"),
    path("bookings/earn/", views.EarnView.as_view(), name="earn"),
    path("bookings/redeem-reward/", views.RedeemRewardView.as_view(), name="redeem-reward"),
    path("bookings/top-up/", views.TopUpView.as_view(), name="top-up"),
    path("bookings/pay/", views.PayView.as_view(), name="pay"),
    path("bookings/stamp/", views.StampView.as_view(), name="stamp"),
    path("bookings/redeem-stamps/", views.RedeemStampsView.as_view(), name="redeem-stamps"),
    path("bookings/voucher-issue/", views.VoucherIssueView.as_view(), name="voucher-issue"),
    path("bookings/voucher-redeem/", views.VoucherRedeemView.as_view(), name="voucher-redeem"),
    path("bookings/return/", views.ReturnView.as_view(), name="return"),
    path("bookings/reverse/", views.ReverseView.as_view(), name="reverse"),
    path("bookings/adjust/", views.AdjustView.as_view(), name="adjust"),
]
