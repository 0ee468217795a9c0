"""The till under /pos/: its pages and its JSON endpoints."""
from django.urls import path

from loyalty.pos import api, views

app_name = "pos"
urlpatterns = [
    path("", views.till_page, name="till"),
    path("pair/", views.pair, name="pair"),
    path("login/", views.sign_in, name="login"),
    path("logout/", views.sign_out, name="logout"),
    path("pin/", views.pin_set, name="pin"),
    path("api/cards/<str:number>/", api.CardView.as_view(), name="card"),
    path("api/cards/<str:number>/register/", api.RegisterView.as_view(), name="register"),
    path("api/bookings/<slug:action>/", api.BookingView.as_view(), name="book"),
]
