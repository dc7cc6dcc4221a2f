"""A synchronous ACME (RFC 8555) client over certbot's `acme` library, shaped for controllers: one
small request per call (no long blocking polls), typed errors, one account per account key.

Controllers call it from the thread pool, never on the event loop."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import requests
from acme import challenges, crypto_util, messages
from acme import client as acme_client
from acme import errors as acme_errors
from acme import fields as acme_fields
from cryptography import x509
from josepy.errors import DeserializationError
from josepy.json_util import field as jose_field
from josepy.jwa import ES256, ES384, ES512, RS256, JWASignature
from josepy.jwk import JWK, JWKEC, JWKRSA

from certpilot import __version__
from certpilot.acme.client_chains import select_preferred_chain
from certpilot.acme.client_challenges import TLSALPN01
from certpilot.acme.client_errors import AcmeAccountNotFound, AcmeError, problem_message
from certpilot.acme.client_network import (
    InstrumentedClientNetwork,
    acme_action,
    labelled,
    retry_after_seconds,
)
from certpilot.acme.http_timeout import DEFAULT_ACME_HTTP_TIMEOUT_SECONDS
from certpilot.acme.renewal_info import DEFAULT_POLL_INTERVAL, RenewalInfo, certificate_id, next_poll_after

DEFAULT_USER_AGENT = f"certpilot/{__version__}"
DEFAULT_BAD_NONCE_RETRIES = 10
DEFAULT_MAX_INLINE_WAIT_SECONDS = 3.0
PEM_CHAIN_CONTENT_TYPE = "application/pem-certificate-chain"
DEFAULT_POLL_SECONDS = DEFAULT_POLL_INTERVAL.total_seconds()
_EC_ALGORITHMS = {"P-256": ES256, "P-384": ES384, "P-521": ES512}

__all__ = [
    "TLSALPN01",
    "AcmeAccount",
    "AcmeClient",
    "ExternalAccountBinding",
    "OrderBody",
    "challenge_token",
    "dns01_record_value",
    "key_authorization",
    "problem_message",
    "signature_algorithm_for",
]


@dataclass(frozen=True)
class ExternalAccountBinding:
    """EAB credentials from the CA (RFC 8555 7.3.4). `hmac_key` is base64url, as CAs hand it out."""

    key_id: str
    hmac_key: str = field(repr=False)
    algorithm: str = "HS256"


@dataclass(frozen=True)
class AcmeAccount:
    uri: str
    status: str | None
    contact: tuple[str, ...]

    @property
    def emails(self) -> tuple[str, ...]:
        return tuple(c.removeprefix("mailto:") for c in self.contact if c.startswith("mailto:"))


class OrderBody(messages.Order):
    """An order with the optional notBefore / notAfter of RFC 8555 7.4 (cert-manager's
    enableDurationFeature), which the library's Order lacks. Used to send and to read orders."""

    not_before: datetime.datetime | None = acme_fields.rfc3339("notBefore", omitempty=True)
    not_after: datetime.datetime | None = acme_fields.rfc3339("notAfter", omitempty=True)
    # RFC 9773 5: the ARI certificate identifier of the certificate this order renews.
    replaces: str | None = jose_field("replaces", omitempty=True)


def signature_algorithm_for(key: JWK) -> JWASignature:
    """The JWS algorithm an account key signs with (RS256 for RSA, ES256/384/512 by curve)."""
    if isinstance(key, JWKRSA):
        return RS256
    if isinstance(key, JWKEC):
        curve = key.to_partial_json().get("crv")
        if curve in _EC_ALGORITHMS:
            return _EC_ALGORITHMS[curve]
    raise AcmeError(f"unsupported ACME account key type {type(key).__name__}: use an RSA or ECDSA key")


def key_authorization(challenge: messages.ChallengeBody, account_key: JWK) -> str:
    """The key authorization (token.thumbprint) for an http-01 / tls-alpn-01 / dns-01 challenge."""
    chall = challenge.chall
    if not isinstance(chall, challenges.KeyAuthorizationChallenge):
        raise AcmeError(f"challenge type {chall.typ!r} has no key authorization")
    return chall.key_authorization(account_key)


def challenge_token(challenge: messages.ChallengeBody) -> str:
    """The challenge token as it appears on the wire and in the HTTP-01 URL (base64url)."""
    chall = challenge.chall
    if not isinstance(chall, challenges.KeyAuthorizationChallenge):
        raise AcmeError(f"challenge type {chall.typ!r} has no token")
    token: str = chall.encode("token")
    return token


def dns01_record_value(challenge: messages.ChallengeBody, account_key: JWK) -> str:
    """The TXT record value for a dns-01 challenge (base64url SHA-256 of the key authorization)."""
    chall = challenge.chall
    if not isinstance(chall, challenges.DNS01):
        raise AcmeError(f"challenge type {chall.typ!r} is not dns-01")
    return chall.validation(account_key)


# KeyError, TypeError, AttributeError: the library reads JSON of the wrong shape (a directory
# without newAccount, a string for the directory, `null` for an account) without checking it first.
_UNEXPECTED_ANSWER = (
    acme_errors.Error,
    DeserializationError,
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
)


@contextmanager
def _acme_errors(action: str) -> Iterator[None]:
    """Library exceptions to AcmeError; AcmeError subclasses from the network pass through."""
    try:
        yield
    except AcmeError:
        raise
    except messages.Error as problem:
        raise AcmeError(
            f"{action}: the ACME server refused: {problem_message(problem)}",
            problem_type=problem.typ if isinstance(problem.typ, str) else None,
            detail=problem.detail if isinstance(problem.detail, str) else None,
        ) from None
    except acme_errors.ConflictError as conflict:
        # The library keeps only the Location of a 409 (alreadyReplaced, for one): its status says it.
        raise AcmeError(
            f"{action}: conflict with existing resource {conflict.location}", status=409
        ) from None
    except (
        acme_errors.Error,
        DeserializationError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
    ) as error:
        # KeyError, TypeError, AttributeError: the library reads a JSON document of the wrong shape
        # (a directory without newAccount, a string for the directory, `null` for an account)
        # without checking its shape first.
        status = http_status_of(error)
        answer = f"HTTP {status}" if status is not None else type(error).__name__
        raise AcmeError(
            f"{action}: unexpected answer from the ACME server ({answer})", status=status
        ) from None


def http_status_of(error: Exception) -> int | None:
    """The HTTP status of an answer the acme library could not read as a problem document (its
    ClientError carries the response, alone or with the parse error)."""
    for part in error.args[0] if error.args and isinstance(error.args[0], tuple) else error.args[:1]:
        if isinstance(part, requests.Response):
            return part.status_code
    return None


class AcmeClient:
    """One ACME account (identified by its key) on one ACME server.

    `verify` is True (system CAs), False (skipTLSVerify) or the path of a CA bundle (caBundle).
    Pass `account_uri` when the issuer status already knows it, to skip the account lookup.
    Blocking: call it from a worker thread. One instance may be shared by several threads."""

    def __init__(
        self,
        directory_url: str,
        account_key: JWK,
        *,
        verify: bool | str = True,
        user_agent: str = DEFAULT_USER_AGENT,
        timeout: int = DEFAULT_ACME_HTTP_TIMEOUT_SECONDS,
        account_uri: str | None = None,
        bad_nonce_retries: int = DEFAULT_BAD_NONCE_RETRIES,
        max_inline_wait: float = DEFAULT_MAX_INLINE_WAIT_SECONDS,
    ) -> None:
        self.directory_url = directory_url
        self._key = account_key
        self._net = InstrumentedClientNetwork(
            account_key,
            alg=signature_algorithm_for(account_key),
            verify=verify,
            user_agent=user_agent,
            timeout=timeout,
            bad_nonce_retries=bad_nonce_retries,
            max_inline_wait=max_inline_wait,
        )
        self._client: acme_client.ClientV2 | None = None
        if account_uri is not None:
            self._net.account = messages.RegistrationResource(uri=account_uri, body=messages.Registration())

    def __repr__(self) -> str:
        return f"AcmeClient(directory_url={self.directory_url!r}, account_uri={self.account_uri!r})"

    # -- directory and account -------------------------------------------------------------

    @property
    def account_uri(self) -> str | None:
        account = self._net.account
        return account.uri if account is not None else None

    @property
    def acme(self) -> acme_client.ClientV2:
        """The library client, fetching the directory on first use."""
        if self._client is None:
            with _acme_errors(f"fetching the ACME directory {self.directory_url}"), acme_action("discover"):
                directory = acme_client.ClientV2.get_directory(self.directory_url, self._net)
                self._net.new_account_url = directory["newAccount"]
            self._client = acme_client.ClientV2(directory, self._net)
        return self._client

    def external_account_required(self) -> bool:
        return bool(self.acme.external_account_required())

    def _new_nonce_url(self) -> str:
        return str(self.acme.directory["newNonce"])

    def _post(self, url: str, body: messages.ResourceBody | None) -> requests.Response:
        return self._net.post(url, body, new_nonce_url=self._new_nonce_url())

    @labelled("get_registration")
    def find_account(self) -> AcmeAccount | None:
        """The account of this key on the server, or None (RFC 8555 7.3.1 onlyReturnExisting)."""
        lookup = messages.NewRegistration(only_return_existing=True)
        try:
            with _acme_errors("looking up the ACME account"):
                response = self._post(self.acme.directory["newAccount"], lookup)
        except AcmeError as error:
            if error.code == "accountDoesNotExist":
                return None
            raise
        return self._remember_account(response, uri=None)

    def _remember_account(self, response: requests.Response, uri: str | None) -> AcmeAccount:
        with _acme_errors("reading the ACME account"):
            body = messages.Registration.from_json(response.json())
        location = response.headers.get("Location", uri)
        if location is None:
            raise AcmeError("the ACME server did not say where the account is (no Location header)")
        self._net.account = messages.RegistrationResource(uri=location, body=body)
        return AcmeAccount(uri=location, status=body.status, contact=tuple(body.contact or ()))

    @labelled("register_account")
    def register(
        self,
        email: str | None,
        eab: ExternalAccountBinding | None = None,
        *,
        terms_of_service_agreed: bool = True,
    ) -> AcmeAccount:
        """The account of this key, creating it if the server has none (one key = one account)."""
        existing = self.find_account()
        if existing is not None:
            return existing
        directory = self.acme.directory
        binding = None
        if eab is not None:
            try:
                binding = messages.ExternalAccountBinding.from_data(
                    account_public_key=self._key.public_key(),
                    kid=eab.key_id,
                    hmac_key=eab.hmac_key,
                    directory=directory,
                    hmac_alg=eab.algorithm,
                )
            except (ValueError, TypeError):
                raise AcmeError(
                    f"invalid external account binding for key id {eab.key_id!r}: the HMAC key must be "
                    f"base64url and the algorithm one of HS256, HS384, HS512 (got {eab.algorithm!r})"
                ) from None
        elif self.external_account_required():
            raise AcmeError(
                "the ACME server requires an external account binding: set externalAccountBinding "
                "(keyID and HMAC key from your CA) on the issuer"
            )
        registration = messages.NewRegistration.from_data(
            email=email, terms_of_service_agreed=terms_of_service_agreed, external_account_binding=binding
        )
        with _acme_errors("registering the ACME account"):
            response = self._post(directory["newAccount"], registration)
        return self._remember_account(response, uri=None)

    def _require_account(self) -> messages.RegistrationResource:
        if self._net.account is None:
            self.find_account()
        account = self._net.account
        if account is None:
            raise AcmeAccountNotFound("no ACME account exists for this account key: register it first")
        return account

    @labelled("update_registration")
    def update_email(self, email: str | None) -> AcmeAccount:
        """Replace the account's contact with `email` (or no contact at all)."""
        account = self._require_account()
        contact = (messages.Registration.email_prefix + email,) if email else ()
        update = messages.UpdateRegistration(contact=contact)
        with _acme_errors("updating the ACME account contact"):
            response = self._post(account.uri, update)
        return self._remember_account(response, uri=account.uri)

    # -- orders ----------------------------------------------------------------------------

    @labelled("authorize_order")
    def new_order(
        self,
        csr_pem: bytes,
        *,
        profile: str | None = None,
        not_before: datetime.datetime | None = None,
        not_after: datetime.datetime | None = None,
        replaces: str | None = None,
    ) -> messages.OrderResource:
        """Create an order for every DNS name and IP address (RFC 8738) of the CSR. Authorizations
        are not fetched here: read them one by one with get_authorization(url). `replaces`: the ARI
        certificate identifier of the certificate this order renews (RFC 9773 5)."""
        self._require_account()
        with _acme_errors("reading the CSR"):
            csr = x509.load_pem_x509_csr(csr_pem)
            dns_names, ip_addresses = crypto_util.get_identifiers_from_x509(csr.subject, csr.extensions)
        identifiers = [messages.Identifier(typ=messages.IDENTIFIER_FQDN, value=name) for name in dns_names]
        identifiers += [messages.Identifier(typ=messages.IDENTIFIER_IP, value=ip) for ip in ip_addresses]
        if not identifiers:
            raise AcmeError("the CSR has no DNS name or IP address to order a certificate for")
        order = OrderBody(
            identifiers=identifiers,
            profile=profile or None,
            not_before=not_before,
            not_after=not_after,
            replaces=replaces or None,
        )
        with _acme_errors("creating the ACME order"):
            response = self._post(self.acme.directory["newOrder"], order)
            body = OrderBody.from_json(response.json())
        return messages.OrderResource(body=body, uri=response.headers.get("Location"), csr_pem=csr_pem)

    # -- renewal information (RFC 9773) -----------------------------------------------------

    def offers_renewal_info(self) -> bool:
        return "renewalInfo" in self.acme.directory.to_partial_json()

    @labelled("get_renewal_info")
    def renewal_info(self, certificate: x509.Certificate, now: datetime.datetime) -> RenewalInfo | None:
        """The CA's suggested renewal window for `certificate`, or None when its directory has no
        renewalInfo. An unauthenticated GET (RFC 9773 4.1): no account needed."""
        if not self.offers_renewal_info():
            return None
        url = f"{str(self.acme.directory['renewalInfo']).rstrip('/')}/{certificate_id(certificate)}"
        with _acme_errors("fetching the ACME renewal information"):
            response = self._net.get(url, content_type="application/json")
            window = messages.RenewalInfo.from_json(response.json()).suggested_window
        start, end = window.start, window.end
        if start is None or end is None or end < start:
            raise AcmeError("the ACME server's renewal information has no valid suggestedWindow")
        header = response.headers.get("Retry-After")
        seconds = retry_after_seconds(header, now, DEFAULT_POLL_SECONDS) if header else None
        return RenewalInfo(window_start=start, window_end=end, next_poll=next_poll_after(seconds, now))

    @labelled("get_order")
    def get_order(self, url: str) -> messages.OrderResource:
        self._require_account()
        with _acme_errors("reading the ACME order"):
            body = OrderBody.from_json(self._post(url, None).json())
        return messages.OrderResource(body=body, uri=url)

    def poll_order_once(self, order: messages.OrderResource) -> messages.OrderResource:
        """One look at the order's state; the caller decides when to look again."""
        if order.uri is None:
            raise AcmeError("the order has no URL to poll")
        polled = self.get_order(order.uri)
        return messages.OrderResource(body=polled.body, uri=polled.uri, csr_pem=order.csr_pem)

    @labelled("get_authorization")
    def get_authorization(self, url: str) -> messages.AuthorizationResource:
        self._require_account()
        with _acme_errors("reading the ACME authorization"):
            body = messages.Authorization.from_json(self._post(url, None).json())
        return messages.AuthorizationResource(body=body, uri=url)

    @labelled("get_challenge")
    def get_challenge(self, url: str) -> messages.ChallengeBody:
        self._require_account()
        with _acme_errors("reading the ACME challenge"):
            challenge: messages.ChallengeBody = messages.ChallengeBody.from_json(self._post(url, None).json())
        return challenge

    @labelled("accept_challenge")
    def answer_challenge(self, challenge: messages.ChallengeBody) -> messages.ChallengeBody:
        """Tell the server the challenge is ready to be validated."""
        self._require_account()
        chall = challenge.chall
        if not isinstance(chall, challenges.KeyAuthorizationChallenge):
            raise AcmeError(f"cannot answer a challenge of type {chall.typ!r}")
        with _acme_errors("accepting the ACME challenge"):
            return self.acme.answer_challenge(challenge, chall.response(self._key)).body

    @labelled("create_order_cert")
    def finalize(self, order: messages.OrderResource, csr_pem: bytes) -> messages.OrderResource:
        """Send the CSR to the order's finalize URL and return the order as the server then reports it
        (usually "processing" or "valid"); poll_order_once() follows it up."""
        self._require_account()
        with _acme_errors("finalizing the ACME order"):
            request = messages.CertificateRequest(csr=x509.load_pem_x509_csr(csr_pem))
            body = OrderBody.from_json(self._post(order.body.finalize, request).json())
        return messages.OrderResource(body=body, uri=order.uri, csr_pem=csr_pem)

    @labelled("fetch_cert")
    def fetch_certificate(self, order: messages.OrderResource, preferred_chain: str | None = None) -> str:
        """The PEM chain of a valid order: the server's default chain, or the first alternate whose
        topmost certificate is issued by `preferred_chain` (a CA common name) when there is one."""
        self._require_account()
        certificate_url = order.body.certificate
        if certificate_url is None:
            raise AcmeError(f"the order is {order.body.status} and has no certificate yet")
        with _acme_errors("downloading the certificate"):
            response = self._post(certificate_url, None)
            default_chain = response.text
            if not preferred_chain:
                return default_chain
            alternates = [
                link["url"]
                for link in requests.utils.parse_header_links(response.headers.get("Link", ""))
                if link.get("rel") == "alternate" and "url" in link
            ]
            chains = [default_chain, *(self._post(url, None).text for url in alternates)]
            return select_preferred_chain(chains, preferred_chain) or default_chain

    def key_authorization(self, challenge: messages.ChallengeBody) -> str:
        return key_authorization(challenge, self._key)

    def dns01_record_value(self, challenge: messages.ChallengeBody) -> str:
        return dns01_record_value(challenge, self._key)

    # -- revocation (RFC 8555 7.6) ---------------------------------------------------------

    @labelled("revoke_cert")
    def revoke(self, certificate_pem: bytes, reason: int, *, signed_by_account: bool = True) -> None:
        """Revoke the first certificate of `certificate_pem` with RFC 5280 reason code `reason`.
        Signed as the account (kid), or, when this client holds the certificate's own key and
        `signed_by_account` is False, with that key as a bare JWK."""
        if signed_by_account:
            self._require_account()
        with _acme_errors("revoking the certificate"):
            certificate = x509.load_pem_x509_certificate(certificate_pem)
            self.acme.revoke(certificate, reason)

    # -- dns-persist-01 (draft-ietf-acme-dns-persist) ------------------------------------------

    @labelled("accept_challenge")
    def answer_persist_challenge(self, challenge_url: str) -> messages.ChallengeBody:
        """Tell the server to look at the persistent record: the response is an empty object, as
        for every RFC 8555 challenge; the library only answers the types it knows."""
        self._require_account()
        with _acme_errors("accepting the dns-persist-01 challenge"):
            response = self._post(challenge_url, _EmptyChallengeResponse())
            answered: messages.ChallengeBody = messages.ChallengeBody.from_json(response.json())
        return answered


class _EmptyChallengeResponse(messages.ResourceBody):
    """`{}`: a challenge response that carries nothing (RFC 8555 7.5.1)."""

    def __bool__(self) -> bool:
        # A mapping with no fields is falsy, and the library sends a falsy body as an empty
        # payload: a POST-as-GET, which reads the challenge instead of answering it.
        return True
