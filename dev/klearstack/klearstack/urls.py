from django.urls import path

from . import views
from .settings import CONFIG

# The API root: "" or a path such as "klear/" (no leading slash, as Django's patterns are written).
ROOT = CONFIG.get("root", "").strip("/") + "/" if CONFIG.get("root", "").strip("/") else ""

urlpatterns = [
    path(f"{ROOT}access/klearstack/get_access_token", views.GetAccessToken.as_view()),
    path(
        f"{ROOT}access/klearstack/getaccesstokenfromrefreshtoken",
        views.GetAccessTokenFromRefreshToken.as_view(),
    ),
    path(f"{ROOT}api/v1/ping", views.Ping.as_view()),
]
