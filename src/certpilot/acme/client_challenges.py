"""Challenge types the `acme` library no longer ships, registered with its decoder so authorizations
carrying them decode to typed challenges instead of UnrecognizedChallenge."""

from __future__ import annotations

from typing import Any

from acme import challenges
from josepy.jwk import JWK


@challenges.ChallengeResponse.register
class TLSALPN01Response(challenges.KeyAuthorizationChallengeResponse):
    """tls-alpn-01 response: like every RFC 8555 response, an empty object."""

    typ = "tls-alpn-01"


@challenges.Challenge.register
class TLSALPN01(challenges.KeyAuthorizationChallenge):
    """RFC 8737 tls-alpn-01; the validation is the key authorization (its SHA-256 goes in the
    validation certificate, built by the TLS-ALPN-01 solver)."""

    response_cls = TLSALPN01Response
    typ = response_cls.typ

    def validation(self, account_key: JWK, **unused_kwargs: Any) -> str:
        return self.key_authorization(account_key)
