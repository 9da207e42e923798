# SimpleJWT's own token classes, with the one choice a test varies: the `iat` of a refreshed access
# token. SimpleJWT before 5.5 copies the refresh token's `iat` into it (tokens.py,
# RefreshToken.access_token: only token_type, exp and jti are left out of the copy); 5.5 gives the
# access token its own. Debian's 5.2.2 copies; "own" stands for a KlearStack on 5.5 or later.
from rest_framework_simplejwt.tokens import RefreshToken

from .settings import CONFIG


class OwnIatRefreshToken(RefreshToken):
    """A refresh token whose access tokens keep the `iat` they were created with (now)."""

    no_copy_claims = RefreshToken.no_copy_claims + ("iat",)


def refresh_token_class():
    return OwnIatRefreshToken if CONFIG.get("iat", "copied") == "own" else RefreshToken
