"""Which ACME failures end an Order or Challenge (errored) and which are retried, as cert-manager
decides: a non-transient RFC 8555 problem, or any 4xx answer but 408/429, is a refusal. The 4xx
case is what a server that lost its state answers for an order or challenge it no longer knows;
the acme library reports such an answer (not a problem document) as a ClientError carrying it."""

from __future__ import annotations

import pytest
import requests
from acme import errors as acme_errors

from certpilot.acme.client import _acme_errors, http_status_of
from certpilot.acme.client_errors import AcmeError, AcmeServerUnavailable
from certpilot.controllers.acme.orders import is_refusal


def answer(status: int) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = b"404 page not found"
    return response


@pytest.mark.parametrize(
    ("error", "refused"),
    [
        (AcmeError("gone", status=404), True),
        (AcmeError("forbidden", status=403), True),
        (AcmeError("slow down", status=429), False),
        (AcmeError("timeout", status=408), False),
        (AcmeError("server", status=500), False),
        (AcmeError("unreadable"), False),
        (AcmeError("no", problem_type="urn:ietf:params:acme:error:rejectedIdentifier", status=400), True),
        (AcmeError("again", problem_type="urn:ietf:params:acme:error:badNonce", status=400), False),
        (AcmeServerUnavailable("down", status=404), False),
    ],
)
def test_refusals(error: AcmeError, refused: bool) -> None:
    assert is_refusal(error) is refused


@pytest.mark.parametrize("wrapped", [lambda r: (r,), lambda r: ((r, ValueError("not JSON")),)])
def test_an_unreadable_4xx_answer_keeps_its_status(wrapped: object) -> None:
    client_error = acme_errors.ClientError(*wrapped(answer(404)))  # type: ignore[operator]
    assert http_status_of(client_error) == 404
    with pytest.raises(AcmeError) as raised, _acme_errors("reading the ACME challenge"):
        raise client_error
    assert raised.value.status == 404
    assert (
        str(raised.value) == "reading the ACME challenge: unexpected answer from the ACME server (HTTP 404)"
    )
    assert is_refusal(raised.value)


def test_an_error_without_a_response_has_no_status() -> None:
    assert http_status_of(acme_errors.ClientError("Unexpected response Content-Type: text/html")) is None
