"""Token authentication against hashed API tokens (``Authorization: Token ptl_...``)."""

from django.utils import timezone
from rest_framework import authentication, exceptions

from portolan.core.models import ApiToken, hash_token


class TokenAuthentication(authentication.TokenAuthentication):
    keyword = "Token"

    def authenticate_credentials(self, key):
        try:
            token = ApiToken.objects.select_related("user", "user__profile").get(key_hash=hash_token(key))
        except ApiToken.DoesNotExist:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        if token.expires and token.expires < timezone.now():
            raise exceptions.AuthenticationFailed("Token expired.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        ApiToken.objects.filter(pk=token.pk).update(last_used=timezone.now())
        return token.user, token
