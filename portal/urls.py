"""URL map. Each app has ``urls.py`` (pages) and ``api_urls.py`` (``/api/v1/``)."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from portal import views
from portal.accounts import api as accounts_api
from portal.accounts import views as accounts_views
from portal.operations import views as operations_views

admin.site.site_header = "Aftercare administration"
admin.site.site_title = "Aftercare admin"
admin.site.login = views.admin_login_redirect  # one sign-in (allauth, rate-limited, MFA) for everyone

api_v1 = [
    path("me", accounts_api.MeView.as_view(), name="api_me"),
    path("invitations/accept/", accounts_api.AcceptInvitationView.as_view(), name="api_invitation_accept"),
    path("invitations/totp/", accounts_api.InvitationTOTPView.as_view(), name="api_invitation_totp"),
    path("", include("patients.api_urls")),
    path("", include("messaging.api_urls")),
    path("", include("alerts.api_urls")),
    path("", include("labs.api_urls")),
    path("", include("quality.api_urls")),
]

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("settings/", accounts_views.account_settings, name="account_settings"),
    path("invitations/<str:token>/", accounts_views.accept_invitation, name="invitation_accept"),
    path("accounts/session/keep-alive/", accounts_views.session_keep_alive, name="session_keep_alive"),
    path("accounts/", include("allauth.urls")),
    path("_allauth/", include("allauth.headless.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    # FHIR R4 (interop/, API.md "Interoperability"): export of a record, import of lab results.
    path("fhir/R4/", include("interop.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    # The split view serves its start-up script as a file (no inline script) and every
    # asset comes from drf-spectacular-sidecar: no CDN.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
    path("healthz", views.healthz, name="healthz"),
    # Operations (API.md): readiness of the alert pipeline, Prometheus metrics.
    path("readyz", operations_views.readyz, name="readyz"),
    path("metrics", operations_views.metrics, name="metrics"),
    path("", include("patients.urls")),
    path("", include("messaging.urls")),
    path("", include("alerts.urls")),
    path("", include("labs.urls")),
    path("", include("quality.urls")),
]
