"""`certpilot acmesolver`'s answers, as cert-manager's acmesolver gives them: the key only for
/.well-known/acme-challenge/<token> with the right Host, 200 for health checks, 404 otherwise."""

from __future__ import annotations

import pytest

from certpilot.acme.solvers.http01_cluster.acmesolver import AcmeSolver, request_host

SOLVER = AcmeSolver("www.example.com", "tok", "tok.thumb", 8089)


@pytest.mark.parametrize(
    ("host", "path", "answer"),
    [
        ("www.example.com", "/.well-known/acme-challenge/tok", (200, "tok.thumb")),
        ("WWW.Example.com:8089", "/.well-known/acme-challenge/tok", (200, "tok.thumb")),
        ("other.example.com", "/.well-known/acme-challenge/tok", (404, "404 page not found\n")),
        ("www.example.com", "/.well-known/acme-challenge/other", (404, "404 page not found\n")),
        ("www.example.com", "/.well-known/tok", (404, "404 page not found\n")),
        ("www.example.com", "/.well-known/acme-challenge/x/tok", (404, "404 page not found\n")),
        ("anything", "/healthz", (200, "")),
        ("anything", "/", (200, "")),
    ],
)
def test_answers(host: str, path: str, answer: tuple[int, str]) -> None:
    assert SOLVER.answer(host, path) == answer


@pytest.mark.parametrize(
    ("header", "host"),
    [("a.test", "a.test"), ("a.test:80", "a.test"), ("[2001:db8::1]:80", "2001:db8::1"), ("[::1]", "::1")],
)
def test_request_host_drops_the_port_and_brackets(header: str, host: str) -> None:
    assert request_host(header) == host
