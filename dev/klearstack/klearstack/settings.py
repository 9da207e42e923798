# The reference KlearStack: a small Django project built the way a Django REST framework and
# SimpleJWT shop builds its token API, from Debian bookworm's packages (python3-django 3.2,
# python3-djangorestframework 3.14, python3-djangorestframework-simplejwt 5.2.2, gunicorn 20.1).
# Everything a test varies comes from the JSON file named by KLEARSTACK_CONFIG (dev/klearstack.ts
# writes it); the rest is what such a shop ships: DEBUG off, ALLOWED_HOSTS, JWTAuthentication as
# the default authentication, form, multipart and JSON parsers, and users in Django's auth tables.
import json
import os
from datetime import timedelta

with open(os.environ["KLEARSTACK_CONFIG"], encoding="utf-8") as config_file:
    CONFIG = json.load(config_file)

SECRET_KEY = CONFIG["secretKey"]
DEBUG = False
ALLOWED_HOSTS = CONFIG.get("allowedHosts", ["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "rest_framework",
    "klearstack",
]

MIDDLEWARE = [
    "klearstack.middleware.RecordRequests",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]

ROOT_URLCONF = "klearstack.urls"
WSGI_APPLICATION = "klearstack.wsgi.application"
# In memory: the users are set up in gunicorn's master before it forks (klearstack/wsgi.py), and
# each worker reads its copy; nothing is written while serving (no blacklist, no last_login). A file
# would cost a migration's worth of fsyncs at every start. Django never closes an in-memory database.
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"

_authentication = ["rest_framework_simplejwt.authentication.JWTAuthentication"]
if CONFIG.get("sessionFirst", False):
    # A common order: the browsable API's session login first. DRF then answers every
    # authentication failure with 403 and no WWW-Authenticate (APIView.handle_exception).
    _authentication.insert(0, "rest_framework.authentication.SessionAuthentication")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": _authentication,
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.JSONParser",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=CONFIG.get("accessLifetime", 900)),
    "REFRESH_TOKEN_LIFETIME": timedelta(seconds=CONFIG.get("refreshLifetime", 86400)),
    "SIGNING_KEY": SECRET_KEY,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    # The 500 page's cause, in gunicorn's output for whoever reads it.
    "loggers": {"django.request": {"handlers": ["console"], "level": "ERROR"}},
}
