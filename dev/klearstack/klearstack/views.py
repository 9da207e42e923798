# KlearStack's two token endpoints as the vendor documents them (NOTES.md, the vendor's page), and
# one protected endpoint that stands for the rest of its API. Written as a DRF shop writes them: the
# fields read from request.data (a missing one is a KeyError, answered 500 with the field's name, as
# the vendor's `{"error": "refresh_token"}` suggests), SimpleJWT's token classes for minting and
# checking, and a rejected refresh token raised as InvalidToken the way SimpleJWT's own
# TokenRefreshView does. A user's company is a Django group of that name.
from django.contrib.auth import authenticate, get_user_model
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from .settings import CONFIG
from .tokens import refresh_token_class

RELEASE_VERSION = CONFIG.get("releaseVersion", "7.8.9")
WRONG_COMPANY = {"error": "Invalid company name."}


def _received(request, company_name):
    # What Django handed the view, for the tests (klearstack/middleware.py writes it down).
    request._request.klear_company = company_name


def _fail_if_asked():
    if CONFIG.get("crash", False):
        # An unhandled exception: with DEBUG off, Django answers with its own 500 page.
        raise RuntimeError("The reference KlearStack was started with crash: true.")


def _in_company(user, company_name):
    return user is not None and user.groups.filter(name=company_name).exists()


class GetAccessToken(APIView):
    permission_classes = [AllowAny]

    def post(self, request):
        _fail_if_asked()
        try:
            company_name = request.data["company_name"]
            _received(request, company_name)
            username = request.data.get("username")
            if not username:
                return Response({"error": "Please provide username."}, status=400)
            password = request.data.get("password")
            if not password:
                return Response({"error": "Please provide password."}, status=400)
        except KeyError as missing:
            return Response({"error": missing.args[0]}, status=500)
        user = authenticate(request, username=username, password=password)
        if user is None:
            return Response({"error": "Incorrect username or password."}, status=401)
        if not _in_company(user, company_name):
            return Response(WRONG_COMPANY, status=401)
        refresh = refresh_token_class().for_user(user)
        return Response(
            {
                "refresh_token": str(refresh),
                "access_token": str(refresh.access_token),
                "release_version": RELEASE_VERSION,
            }
        )


class GetAccessTokenFromRefreshToken(APIView):
    permission_classes = [
        IsAuthenticated if CONFIG.get("refreshNeedsBearer", False) else AllowAny
    ]

    def post(self, request):
        _fail_if_asked()
        try:
            raw_token = request.data["refresh_token"]
            company_name = request.data["company_name"]
        except KeyError as missing:
            return Response({"error": missing.args[0]}, status=500)
        _received(request, company_name)
        try:
            refresh = refresh_token_class()(raw_token)
        except TokenError as error:
            raise InvalidToken(error.args[0])
        user = get_user_model().objects.filter(id=refresh.get("user_id")).first()
        if not _in_company(user, company_name):
            return Response(WRONG_COMPANY, status=401)
        return Response(
            {"access_token": str(refresh.access_token), "release_version": RELEASE_VERSION}
        )


class Ping(APIView):
    """Stands for the rest of KlearStack's API: the default IsAuthenticated applies."""

    def get(self, request):
        return Response({"pong": True, "user": request.user.get_username()})
