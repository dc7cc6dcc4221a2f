"""certbot's ClientNetwork made a good ACME citizen: every HTTP request is timed out and recorded in
cert-manager's metrics under the logical ACME operation it serves (cert-manager's `action` label);
badNonce is retried several times with a fresh nonce (the library retries once); 429 / 503 honour
Retry-After, waiting inline only when the wait is short."""

from __future__ import annotations

import contextvars
import datetime
import email.utils
import functools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar, cast
from urllib.parse import urlsplit

import requests
from acme import client as acme_client
from acme import jws, messages
from josepy.jwa import JWASignature
from josepy.jwk import JWK

from certpilot.acme.client_errors import AcmeRetryLater, AcmeServerUnavailable
from certpilot.server.metrics import observe_acme_request

THROTTLE_STATUSES = frozenset({429, 503})
DEFAULT_RETRY_AFTER_SECONDS = 60.0
# cert-manager's status label for a request that got no HTTP response.
NO_RESPONSE_STATUS = "999"
UNNAMED_ACTION = "unnamed_action"

# The ACME operation the current thread's requests serve (nonce fetches included). A context
# variable, not an attribute: one client is shared by several worker threads.
_current_action: contextvars.ContextVar[str] = contextvars.ContextVar("acme_action", default=UNNAMED_ACTION)

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def acme_action(name: str) -> Iterator[None]:
    """Label the requests made inside with `name` (cert-manager's names: get_order, accept_challenge...)."""
    token = _current_action.set(name)
    try:
        yield
    finally:
        _current_action.reset(token)


def labelled(name: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A method whose requests are labelled with action `name`."""

    def decorate(method: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(method)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            with acme_action(name):
                return method(*args, **kwargs)

        return wrapper

    return decorate


def retry_after_seconds(header: str | None, now: datetime.datetime, default: float) -> float:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date; RFC 9110 10.2.3)."""
    if header is None or not header.strip():
        return default
    value = header.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return max(0.0, (when - now).total_seconds())


class _Throttled(Exception):
    def __init__(self, seconds: float, problem_type: str | None, detail: str) -> None:
        super().__init__(detail)
        self.seconds = seconds
        self.problem_type = problem_type
        self.detail = detail


def _problem_of(response: requests.Response) -> tuple[str | None, str]:
    try:
        body = response.json()
    except ValueError:
        return None, f"HTTP {response.status_code}"
    if not isinstance(body, dict):
        return None, f"HTTP {response.status_code}"
    problem_type = body.get("type")
    detail = body.get("detail")
    return (
        problem_type if isinstance(problem_type, str) else None,
        detail if isinstance(detail, str) else f"HTTP {response.status_code}",
    )


class InstrumentedClientNetwork(acme_client.ClientNetwork):
    def __init__(
        self,
        key: JWK,
        *,
        alg: JWASignature,
        verify: bool | str,
        user_agent: str,
        timeout: int,
        bad_nonce_retries: int,
        max_inline_wait: float,
    ) -> None:
        super().__init__(key, alg=alg, user_agent=user_agent, timeout=timeout)
        # The library annotates verify_ssl as bool but hands it to requests, which also takes a CA bundle.
        self.verify_ssl = verify  # type: ignore[assignment]
        self._bad_nonce_retries = bad_nonce_retries
        self._max_inline_wait = max_inline_wait
        self.new_account_url: str | None = None

    def _wrap_in_jws(self, obj: Any, nonce: str, url: str) -> str:
        # newAccount must be signed with the key itself, never a kid (RFC 8555 6.2). Deciding per URL,
        # instead of clearing `account` around the request as the library does, keeps one client
        # safe to share between threads.
        if url != self.new_account_url:
            return super()._wrap_in_jws(obj, nonce, url)
        payload = obj.json_dumps(indent=2).encode() if obj else b""
        # The library annotates the nonce as str; it is the decoded bytes that JWS.sign takes.
        signed = jws.JWS.sign(payload, key=self.key, alg=self.alg, nonce=cast(bytes, nonce), url=url)
        return str(signed.json_dumps(indent=2))

    def _send_request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:
        parts = urlsplit(url)
        labels = (parts.scheme, parts.netloc, _current_action.get(), method)
        started = time.perf_counter()
        try:
            response = super()._send_request(method, url, *args, **kwargs)
        except requests.RequestException as error:
            observe_acme_request(*labels, NO_RESPONSE_STATUS, duration_seconds=time.perf_counter() - started)
            raise AcmeServerUnavailable(
                f"cannot reach the ACME server at {parts.scheme}://{parts.netloc} "
                f"({type(error).__name__}): check the server URL, network and CA bundle"
            ) from None
        observe_acme_request(
            *labels, str(response.status_code), duration_seconds=time.perf_counter() - started
        )
        if response.status_code in THROTTLE_STATUSES:
            problem_type, detail = _problem_of(response)
            seconds = retry_after_seconds(
                response.headers.get("Retry-After"),
                datetime.datetime.now(datetime.UTC),
                DEFAULT_RETRY_AFTER_SECONDS,
            )
            raise _Throttled(seconds, problem_type, detail)
        return response

    def _wait_or_give_up(self, throttled: _Throttled, attempt: int, attempts: int) -> None:
        if throttled.seconds > self._max_inline_wait or attempt + 1 >= attempts:
            raise AcmeRetryLater(
                f"the ACME server asked to retry in {throttled.seconds:.0f}s: {throttled.detail}",
                throttled.seconds,
                problem_type=throttled.problem_type,
            ) from None
        time.sleep(throttled.seconds)

    def get(
        self, url: str, content_type: str = acme_client.ClientNetwork.JSON_CONTENT_TYPE, **kwargs: Any
    ) -> requests.Response:
        attempts = self._bad_nonce_retries + 1
        for attempt in range(attempts):
            try:
                return super().get(url, content_type, **kwargs)
            except _Throttled as throttled:
                self._wait_or_give_up(throttled, attempt, attempts)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def post(self, *args: Any, **kwargs: Any) -> requests.Response:
        attempts = self._bad_nonce_retries + 1
        for attempt in range(attempts):
            try:
                return self._post_once(*args, **kwargs)
            except messages.Error as error:
                if error.code != "badNonce" or attempt + 1 >= attempts:
                    raise
            except _Throttled as throttled:
                self._wait_or_give_up(throttled, attempt, attempts)
        raise AssertionError("unreachable: the last attempt returns or raises")
