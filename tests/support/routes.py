"""Every URL pattern of both URL confs and how a test calls it (method and path, with ids to fill
in): the isolation sweep and the bad-input corpus walk these, and fail when a pattern is missing."""
from django.urls import URLResolver, get_resolver

from loyalty.operations import OPERATIONS


def routes_of(urlconf: str) -> list[str]:
    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern)

    return list(walk(get_resolver(urlconf).url_patterns))


# How each merchant-host pattern is called, with alice's ids (filled in by the `alices` fixture):
# method and path; a POST carries a JSON body of alice's (card, booking, program).
TENANT_ROUTES = {
    "i18n/setlang/": [("POST", "/i18n/setlang/")],
    "manage/": [("GET", "/manage/")],
    "manage/login/": [("GET", "/manage/login/"), ("POST", "/manage/login/")],
    "manage/login/code/": [("GET", "/manage/login/code/"), ("POST", "/manage/login/code/")],
    "manage/logout/": [("POST", "/manage/logout/")],
    "manage/invitation/<uidb64>/<token>/": [("GET", "/manage/invitation/{uid}/set-password/")],
    # Programs, rewards, bonus actions and vouchers (loyalty/views/programs.py).
    "manage/programs/": [("GET", "/manage/programs/")],
    "manage/programs/templates/<slug:slug>/": [("POST", "/manage/programs/templates/points-coffee/")],
    "manage/programs/new/<slug:kind>/": [("GET", "/manage/programs/new/points/"),
                                         ("POST", "/manage/programs/new/points/")],
    "manage/programs/example/<slug:kind>/": [("GET", "/manage/programs/example/points/?points_per_euro=2")],
    "manage/programs/<int:pk>/": [("GET", "/manage/programs/{program}/"), ("POST", "/manage/programs/{program}/")],
    "manage/programs/<int:pk>/pause/": [("POST", "/manage/programs/{program}/pause/")],
    "manage/programs/<int:pk>/resume/": [("POST", "/manage/programs/{program}/resume/")],
    "manage/programs/<int:pk>/delete/": [("GET", "/manage/programs/{program}/delete/"),
                                         ("POST", "/manage/programs/{program}/delete/")],
    "manage/programs/rewards/": [("GET", "/manage/programs/rewards/")],
    "manage/programs/rewards/new/": [("GET", "/manage/programs/rewards/new/"),
                                     ("POST", "/manage/programs/rewards/new/")],
    "manage/programs/rewards/<int:pk>/": [("GET", "/manage/programs/rewards/{reward}/"),
                                          ("POST", "/manage/programs/rewards/{reward}/")],
    "manage/programs/rewards/<int:pk>/deactivate/": [("POST", "/manage/programs/rewards/{reward}/deactivate/")],
    "manage/programs/bonus-actions/": [("GET", "/manage/programs/bonus-actions/")],
    "manage/programs/bonus-actions/new/": [("GET", "/manage/programs/bonus-actions/new/"),
                                           ("POST", "/manage/programs/bonus-actions/new/")],
    "manage/programs/bonus-actions/<int:pk>/": [("GET", "/manage/programs/bonus-actions/{bonus_action}/"),
                                                ("POST", "/manage/programs/bonus-actions/{bonus_action}/")],
    "manage/programs/bonus-actions/<int:pk>/deactivate/": [
        ("POST", "/manage/programs/bonus-actions/{bonus_action}/deactivate/")],
    "manage/programs/vouchers/sell/": [("GET", "/manage/programs/vouchers/sell/"),
                                       ("POST", "/manage/programs/vouchers/sell/")],
    # The journal (loyalty/views/journal.py).
    # The monthly statistics report (loyalty/views/statistics_report.py).
    "manage/statistics/report/": [("GET", "/manage/statistics/report/"), ("POST", "/manage/statistics/report/")],
    "manage/statistics/report/<int:year>-<int:month>.pdf": [("GET", "/manage/statistics/report/2026-11.pdf")],
    # The consents' wordings in versions (loyalty/views/consent_wordings.py).
    "manage/consents/": [("GET", "/manage/consents/")],
    "manage/consents/<slug:purpose>/new/": [("GET", "/manage/consents/newsletter/new/"),
                                            ("POST", "/manage/consents/newsletter/new/")],
    "manage/consents/<slug:purpose>/<int:version>/": [("GET", "/manage/consents/newsletter/1/")],
    "manage/journal/": [("GET", "/manage/journal/"), ("GET", "/manage/journal/?card_number={card}")],
    # Cardholders and own fields (loyalty/views/cardholders.py).
    "manage/cardholders/": [("GET", "/manage/cardholders/"), ("GET", "/manage/cardholders/?q=Geheimkundin"),
                            ("GET", "/manage/cardholders/?q=alwine@alice.example&program={program}&visit=30"
                                    "&consent=newsletter:yes&field={custom_field}&value=Roggen")],
    "manage/cardholders/fields/": [("GET", "/manage/cardholders/fields/"), ("POST", "/manage/cardholders/fields/")],
    "manage/cardholders/fields/<int:pk>/": [("GET", "/manage/cardholders/fields/{custom_field}/"),
                                            ("POST", "/manage/cardholders/fields/{custom_field}/")],
    "manage/cardholders/fields/<int:pk>/deactivate/": [
        ("POST", "/manage/cardholders/fields/{custom_field}/deactivate/")],
    "manage/cardholders/fields/<int:pk>/reactivate/": [
        ("POST", "/manage/cardholders/fields/{custom_field}/reactivate/")],
    "manage/cardholders/<int:pk>/": [("GET", "/manage/cardholders/{cardholder}/"),
                                     ("GET", "/manage/cardholders/{cardholder}/?page=2")],
    "manage/cardholders/<int:pk>/edit/": [("GET", "/manage/cardholders/{cardholder}/edit/"),
                                          ("POST", "/manage/cardholders/{cardholder}/edit/")],
    "manage/cardholders/<int:pk>/consents/": [("GET", "/manage/cardholders/{cardholder}/consents/"),
                                              ("POST", "/manage/cardholders/{cardholder}/consents/")],
    "manage/cardholders/<int:pk>/cards/<str:number>/block/": [
        ("GET", "/manage/cardholders/{cardholder}/cards/{holder_card}/block/"),
        ("POST", "/manage/cardholders/{cardholder}/cards/{holder_card}/block/")],
    "manage/cardholders/<int:pk>/cards/<str:number>/replace/": [
        ("GET", "/manage/cardholders/{cardholder}/cards/{holder_card}/replace/"),
        ("POST", "/manage/cardholders/{cardholder}/cards/{holder_card}/replace/")],
    "manage/cardholders/<int:pk>/programs/<int:program>/adjust/": [
        ("GET", "/manage/cardholders/{cardholder}/programs/{program}/adjust/"),
        ("POST", "/manage/cardholders/{cardholder}/programs/{program}/adjust/")],
    "manage/cardholders/<int:pk>/programs/<int:program>/voucher/": [
        ("GET", "/manage/cardholders/{cardholder}/programs/{program}/voucher/"),
        ("POST", "/manage/cardholders/{cardholder}/programs/{program}/voucher/")],
    # The export of everything (loyalty/views/exports.py).
    "manage/export/": [("GET", "/manage/export/"), ("POST", "/manage/export/")],
    "manage/export/<int:pk>/download/": [("GET", "/manage/export/{data_export}/download/")],
    # The cardholder import (loyalty/views/imports.py).
    "manage/cardholders/import/": [("GET", "/manage/cardholders/import/"), ("POST", "/manage/cardholders/import/")],
    "manage/cardholders/import/<int:pk>/": [("GET", "/manage/cardholders/import/{cardholder_import}/"),
                                            ("POST", "/manage/cardholders/import/{cardholder_import}/")],
    "manage/cardholders/import/<int:pk>/preview/": [
        ("GET", "/manage/cardholders/import/{cardholder_import}/preview/"),
        ("POST", "/manage/cardholders/import/{cardholder_import}/preview/")],
    "manage/cardholders/import/<int:pk>/result/": [("GET", "/manage/cardholders/import/{cardholder_import}/result/")],
    "manage/cardholders/import/<int:pk>/status/": [("GET", "/manage/cardholders/import/{cardholder_import}/status/")],
    "manage/journal/download.csv": [("GET", "/manage/journal/download.csv"),
                                    ("GET", "/manage/journal/download.csv?card_number={card}")],
    "manage/journal/download.xlsx": [("GET", "/manage/journal/download.xlsx?card_number={card}")],
    "manage/journal/<int:pk>/reverse/": [("GET", "/manage/journal/{booking}/reverse/"),
                                         ("POST", "/manage/journal/{booking}/reverse/")],
    # The outstanding balances report (loyalty/views/reports.py).
    "manage/reports/liability/": [("GET", "/manage/reports/liability/"),
                                  ("GET", "/manage/reports/liability/?day=2025-12-31")],
    "manage/reports/liability/download.csv": [("GET", "/manage/reports/liability/download.csv?day=2025-12-31")],
    "manage/reports/liability/download.pdf": [("GET", "/manage/reports/liability/download.pdf?day=2025-12-31")],
    # The statistics (loyalty/views/statistics.py).
    "manage/statistics/": [("GET", "/manage/statistics/"), ("GET", "/manage/statistics/?period=month&date=2026-11-01"),
                           ("GET", "/manage/statistics/?period=year&date=2026-01-01&step=week&program={program}"),
                           ("GET", "/manage/statistics/?period=custom&date_from=2026-11-01&date_to=2026-11-30"
                                   "&campaign_from=2026-11-10&campaign_to=2026-11-20&segment=age_band")],
    # The audit log (loyalty/views/audit.py).
    "manage/audit/": [("GET", "/manage/audit/"), ("GET", "/manage/audit/?family=reversals")],
    "manage/audit/<int:pk>/": [("GET", "/manage/audit/{audit_entry}/")],
    # Staff (loyalty/views/staff.py).
    "manage/staff/": [("GET", "/manage/staff/"), ("POST", "/manage/staff/")],
    "manage/staff/<int:pk>/": [("GET", "/manage/staff/{user}/"), ("POST", "/manage/staff/{user}/")],
    "manage/staff/<int:pk>/deactivate/": [("GET", "/manage/staff/{user}/deactivate/"),
                                          ("POST", "/manage/staff/{user}/deactivate/")],
    "manage/staff/<int:pk>/reactivate/": [("POST", "/manage/staff/{user}/reactivate/")],
    "manage/staff/<int:pk>/invitation/": [("POST", "/manage/staff/{user}/invitation/")],
    "manage/staff/<int:pk>/two-factor-reset/": [("POST", "/manage/staff/{user}/two-factor-reset/")],
    "manage/staff/roles/new/": [("GET", "/manage/staff/roles/new/"), ("POST", "/manage/staff/roles/new/")],
    "manage/staff/roles/<int:pk>/": [("GET", "/manage/staff/roles/{role}/"), ("POST", "/manage/staff/roles/{role}/")],
    "manage/staff/two-factor/": [("POST", "/manage/staff/two-factor/")],
    "manage/account/two-factor/": [("GET", "/manage/account/two-factor/"),
                                   ("POST", "/manage/account/two-factor/")],
    # Terminals (loyalty/views/terminals.py).
    "manage/terminals/": [("GET", "/manage/terminals/"), ("POST", "/manage/terminals/")],
    "manage/terminals/<int:pk>/": [("GET", "/manage/terminals/{terminal}/"),
                                   ("POST", "/manage/terminals/{terminal}/")],
    "manage/terminals/<int:pk>/revoke/": [("GET", "/manage/terminals/{terminal}/revoke/"),
                                          ("POST", "/manage/terminals/{terminal}/revoke/")],
    # Settings (loyalty/views/shop.py).
    "manage/settings/": [("GET", "/manage/settings/"), ("POST", "/manage/settings/")],
    "manage/settings/logo/": [("POST", "/manage/settings/logo/")],
    # API keys (loyalty/views/api_keys.py).
    "manage/api-keys/": [("GET", "/manage/api-keys/"), ("POST", "/manage/api-keys/")],
    "manage/api-keys/<int:pk>/revoke/": [("GET", "/manage/api-keys/{api_key}/revoke/"),
                                         ("POST", "/manage/api-keys/{api_key}/revoke/")],
    # Card reorders and the print files of the merchant's own orders (hq/printing/views_manage.py).
    "manage/cards/": [("GET", "/manage/cards/"), ("POST", "/manage/cards/")],
    "manage/cards/<int:pk>/files/<int:part>.pdf": [("GET", "/manage/cards/{print_order}/files/1.pdf")],
    # The merchant's billing page (billing/urls_manage.py).
    "manage/billing/": [("GET", "/manage/billing/"), ("GET", "/manage/billing/?checkout=done")],
    "manage/billing/payment-method/": [("POST", "/manage/billing/payment-method/")],
    "manage/billing/invoices/<int:pk>/pdf/": [("GET", "/manage/billing/invoices/{invoice}/pdf/")],
    "manage/billing/invoices/<int:pk>/xml/": [("GET", "/manage/billing/invoices/{invoice}/xml/")],
    # The rest of the back office.
    "api/schema/": [("GET", "/api/schema/")],
    "api/docs/": [("GET", "/api/docs/")],
    "api/programs/": [("GET", "/api/programs/")],
    "api/cards/<str:number>/": [("GET", "/api/cards/{card}/")],
    "api/cards/<str:number>/bookings/": [("GET", "/api/cards/{card}/bookings/")],
    "api/bookings/<int:pk>/": [("GET", "/api/bookings/{booking}/")],
    # One endpoint per operation of the registry (loyalty/api/urls.py makes them from it).
    **{f"api/bookings/{op.slug}/": [("POST", f"/api/bookings/{op.slug}/")] for op in OPERATIONS.values()},
    "pos/": [("GET", "/pos/")],
    "pos/pair/": [("GET", "/pos/pair/")],
    "pos/login/": [("GET", "/pos/login/")],
    "pos/logout/": [("POST", "/pos/logout/")],
    "pos/pin/": [("GET", "/pos/pin/"), ("POST", "/pos/pin/")],
    "pos/api/cards/<str:number>/": [("GET", "/pos/api/cards/{card}/")],
    "pos/api/cards/<str:number>/register/": [("POST", "/pos/api/cards/{card}/register/")],
    "pos/api/bookings/<slug:action>/": [("POST", "/pos/api/bookings/earn/"),
                                        ("POST", "/pos/api/bookings/reversal/")],
    "": [("GET", "/")],
    # The portal's legal pages and the merchant's logo (portal/urls.py).
    "impressum/": [("GET", "/impressum/")],
    "datenschutz/": [("GET", "/datenschutz/")],
    "logo/<str:version>.png": [("GET", "/logo/{logo}.png")],
    # Registration and sign-in (portal/views/accounts.py).
    "register/": [("GET", "/register/"), ("POST", "/register/")],
    "register/details/": [("GET", "/register/details/"), ("POST", "/register/details/")],
    "register/sent/": [("GET", "/register/sent/")],
    "confirm/<str:token>/": [("GET", "/confirm/{confirm_token}/"), ("POST", "/confirm/{confirm_token}/")],
    "invitation/<str:token>/": [("GET", "/invitation/{invitation_token}/"),
                                ("POST", "/invitation/{invitation_token}/")],
    "sign-in/": [("GET", "/sign-in/"), ("POST", "/sign-in/")],
    "sign-in/link/<str:token>/": [("GET", "/sign-in/link/{sign_in_token}/"),
                                  ("POST", "/sign-in/link/{sign_in_token}/")],
    "sign-out/": [("POST", "/sign-out/")],
    "password/": [("GET", "/password/"), ("POST", "/password/")],
    # The cardholder's card (portal/views/card.py).
    "card/": [("GET", "/card/")],
    "card/history/": [("GET", "/card/history/")],
    "card/<str:number>/block/": [("GET", "/card/{holder_card}/block/"), ("POST", "/card/{holder_card}/block/")],
    # Profile, consents, own data, deletion (portal/views/privacy.py).
    "profile/": [("GET", "/profile/"), ("POST", "/profile/")],
    "profile/consents/": [("GET", "/profile/consents/"), ("POST", "/profile/consents/")],
    "profile/email/<str:token>/": [("GET", "/profile/email/{new_email_token}/"),
                                   ("POST", "/profile/email/{new_email_token}/")],
    "profile/data/": [("GET", "/profile/data/")],
    "profile/data.json": [("GET", "/profile/data.json")],
    "profile/data.csv": [("GET", "/profile/data.csv")],
    "profile/delete/": [("GET", "/profile/delete/"), ("POST", "/profile/delete/")],
    "profile/delete/<str:token>/": [("GET", "/profile/delete/{deletion_token}/")],
    # The wallet pass and Apple's pass web service (portal/views/wallet.py).
    "card/<str:number>/wallet.pkpass": [("GET", "/card/{holder_card}/wallet.pkpass")],
    "wallet/v1/devices/<str:device>/registrations/<str:pass_type>/<str:serial>": [
        ("POST", "/wallet/v1/devices/alices-phone/registrations/{pass_type}/{holder_card}"),
        ("DELETE", "/wallet/v1/devices/alices-phone/registrations/{pass_type}/{holder_card}")],
    "wallet/v1/devices/<str:device>/registrations/<str:pass_type>": [
        ("GET", "/wallet/v1/devices/alices-phone/registrations/{pass_type}")],
    "wallet/v1/passes/<str:pass_type>/<str:serial>": [("GET", "/wallet/v1/passes/{pass_type}/{holder_card}")],
    "wallet/v1/log": [("POST", "/wallet/v1/log")],
}
PUBLIC_ROUTES = {
    "i18n/setlang/": [("POST", "/i18n/setlang/")],
    "billing/runs/": [("GET", "/billing/runs/"), ("POST", "/billing/runs/")],
    "billing/stripe/webhook/": [("POST", "/billing/stripe/webhook/")],
    "billing/invoices/<int:pk>/pdf/": [("GET", "/billing/invoices/{invoice}/pdf/")],
    "billing/invoices/<int:pk>/xml/": [("GET", "/billing/invoices/{invoice}/xml/")],
    "billing/merchants/<int:pk>/payment-method/": [("POST", "/billing/merchants/{merchant}/payment-method/")],
    "": [("GET", "/")],
    "login/": [("GET", "/login/")],
    "login/code/": [("GET", "/login/code/")],
    "logout/": [("POST", "/logout/")],
    "merchants/new/": [("GET", "/merchants/new/"), ("POST", "/merchants/new/")],
    "merchants/<int:pk>/": [("GET", "/merchants/{merchant}/")],
    "merchants/<int:pk>/licence/": [("POST", "/merchants/{merchant}/licence/")],
    "merchants/<int:pk>/notice/": [("POST", "/merchants/{merchant}/notice/")],
    "merchants/<int:pk>/notice/withdraw/": [("POST", "/merchants/{merchant}/notice/withdraw/")],
    # Print orders in the console (hq/printing/views.py).
    "print-orders/new/<int:merchant>/": [("GET", "/print-orders/new/{merchant}/"),
                                         ("POST", "/print-orders/new/{merchant}/")],
    "print-orders/<int:pk>/step/": [("GET", "/print-orders/{print_order}/step/"),
                                    ("POST", "/print-orders/{print_order}/step/")],
    "print-orders/<int:pk>/files/": [("GET", "/print-orders/{print_order}/files/"),
                                     ("POST", "/print-orders/{print_order}/files/")],
    "print-orders/<int:pk>/files/status/": [("GET", "/print-orders/{print_order}/files/status/")],
    "print-orders/<int:pk>/files/<int:part>.pdf": [("GET", "/print-orders/{print_order}/files/1.pdf")],
}


