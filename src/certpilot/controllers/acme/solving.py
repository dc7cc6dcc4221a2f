"""Presenting, self-checking and cleaning up one Challenge with the solver its spec names.

HTTP-01 goes to the runtime's presenter: the daemon's own listener standalone, solver Pods on a
cluster. TLS-ALPN-01 is answered by the daemon's own listener (started on first use, stopped with the
daemon); DNS-01 goes to the provider of the solver's `dns01` block. The DNS stack (dnspython) is
imported when a DNS-01 Challenge first needs it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from certpilot.acme.solvers.dns01.names import NameserverAddress, absolute, parse_nameserver
from certpilot.acme.solvers.dns01.provider import Dns01Provider, Dns01Request, GetSecretValue
from certpilot.acme.solvers.dns01.registry import ProviderSettings, provider_for
from certpilot.acme.solvers.dns01.webhook import SolverEndpoints
from certpilot.acme.solvers.http01 import (
    Http01Solver,
    http01_challenge_url,
    http01_self_check,
    parse_listen_address,
)
from certpilot.acme.solvers.http01_presenter import Http01Presenter
from certpilot.acme.solvers.tlsalpn01 import TlsAlpn01Solver
from certpilot.api.acme import Challenge
from certpilot.api.acme_issuer import ACMEChallengeSolverDNS01
from certpilot.api.enums import ACMEChallengeType, CNAMEStrategy
from certpilot.controllers.options import ControllerOptions
from certpilot.issuers.secrets import SecretProblem, get_secret, secret_value
from certpilot.runtime.errors import PermanentError, RetryWithBackoff
from certpilot.store.protocol import Store


class SolverUnavailable(PermanentError):
    """The Challenge needs a solver this daemon does not run (a listener that is switched off)."""


class SolverCredentialsMissing(RetryWithBackoff):
    """A Secret the solver reads (a TSIG key...) is missing or incomplete; retried until it appears."""


class SolverListeners:
    """The daemon's HTTP-01 and TLS-ALPN-01 listeners. Each starts when a challenge first needs it
    (so a daemon that never solves HTTP-01 never binds :80) and stops with the daemon."""

    def __init__(self, http01_listen: tuple[str, ...], tlsalpn01_listen: tuple[str, ...]) -> None:
        self.http01_listen = http01_listen
        self.tlsalpn01_listen = tlsalpn01_listen
        self._http01: Http01Solver | None = None
        self._tlsalpn01: TlsAlpn01Solver | None = None
        self._lock = asyncio.Lock()

    @classmethod
    def from_options(cls, options: ControllerOptions) -> SolverListeners:
        return cls(options.http01_listen, options.tlsalpn01_listen)

    async def http01(self) -> Http01Solver:
        if not self.http01_listen:
            raise SolverUnavailable("HTTP-01 needs the built-in HTTP listener: run with --http01-listen")
        async with self._lock:
            if self._http01 is None:
                self._http01 = await Http01Solver(self.http01_listen).start()
            return self._http01

    async def tlsalpn01(self) -> TlsAlpn01Solver:
        if not self.tlsalpn01_listen:
            raise SolverUnavailable(
                "TLS-ALPN-01 needs the built-in TLS listener: run with --tlsalpn01-listen"
            )
        async with self._lock:
            if self._tlsalpn01 is None:
                self._tlsalpn01 = await TlsAlpn01Solver(self.tlsalpn01_listen).start()
            return self._tlsalpn01

    def http01_self_check_url(self, token: str) -> str:
        """Our own listener, over loopback: it proves the token is served; whether the CA can reach
        this host (DNS, firewalls, port forwarding) only the CA can tell, and its answer is recorded."""
        host, port = parse_listen_address(self.http01_listen[0])
        return http01_challenge_url(host or "127.0.0.1", token, port)

    async def stop(self) -> None:
        async with self._lock:
            http01, self._http01 = self._http01, None
            tlsalpn01, self._tlsalpn01 = self._tlsalpn01, None
        if http01 is not None:
            await http01.stop()
        if tlsalpn01 is not None:
            await tlsalpn01.stop()


class ListenerHttp01Presenter:
    """Standalone HTTP-01: the token is served by the daemon's own listener."""

    def __init__(self, listeners: SolverListeners) -> None:
        self.listeners = listeners

    async def present(self, challenge: Challenge) -> None:
        (await self.listeners.http01()).present(challenge.spec.token, challenge.spec.key)

    async def cleanup(self, challenge: Challenge) -> None:
        if self.listeners.http01_listen:
            (await self.listeners.http01()).cleanup(challenge.spec.token)

    async def self_check_url(self, challenge: Challenge) -> str:
        return self.listeners.http01_self_check_url(challenge.spec.token)


@dataclass(frozen=True)
class SelfCheck:
    passed: bool
    reason: str = ""


class ChallengeSolving:
    """present / self_check / cleanup for any Challenge; `resource_namespace` is where the issuer's
    Secrets (TSIG keys...) live. `http01`: who answers HTTP-01 (by default the daemon's listener);
    `dns01_webhooks`: where DNS-01 webhook solvers are reached (by default `--dns01-webhook-url`)."""

    def __init__(
        self,
        store: Store,
        options: ControllerOptions,
        listeners: SolverListeners,
        http01: Http01Presenter | None = None,
        dns01_webhooks: SolverEndpoints | None = None,
    ) -> None:
        self.store = store
        self.options = options
        self.listeners = listeners
        self.http01: Http01Presenter = http01 or ListenerHttp01Presenter(listeners)
        self.settings = ProviderSettings(
            webhook_urls=options.dns01_webhook_urls, webhook_endpoints=dns01_webhooks
        )

    async def present(self, challenge: Challenge, resource_namespace: str) -> None:
        spec = challenge.spec
        if spec.type == ACMEChallengeType.HTTP01:
            await self.http01.present(challenge)
        elif spec.type == ACMEChallengeType.TLS_ALPN01:
            (await self.listeners.tlsalpn01()).present(spec.dns_name, spec.key)
        elif spec.type == ACMEChallengeType.DNS_PERSIST01:
            # Written once: an order finding the record in place writes nothing.
            if not (await self.self_check(challenge, resource_namespace)).passed:
                request, provider = await self._dns01(challenge, resource_namespace)
                await provider.present(request)
        else:
            request, provider = await self._dns01(challenge, resource_namespace)
            await provider.present(request)

    async def cleanup(self, challenge: Challenge, resource_namespace: str) -> None:
        spec = challenge.spec
        if spec.type == ACMEChallengeType.HTTP01:
            await self.http01.cleanup(challenge)
        elif spec.type == ACMEChallengeType.TLS_ALPN01:
            if self.listeners.tlsalpn01_listen:
                (await self.listeners.tlsalpn01()).cleanup(spec.dns_name)
        elif spec.type == ACMEChallengeType.DNS_PERSIST01:
            return  # persistent by design: the next orders of this account reuse it
        else:
            request, provider = await self._dns01(challenge, resource_namespace)
            await provider.cleanup(request)

    async def self_check(self, challenge: Challenge, resource_namespace: str) -> SelfCheck:
        spec = challenge.spec
        if spec.type == ACMEChallengeType.HTTP01:
            url = await self.http01.self_check_url(challenge)
            if await http01_self_check(url, spec.key):
                return SelfCheck(True)
            return SelfCheck(
                False, f"Waiting for HTTP-01 challenge propagation: {url} does not serve the key yet"
            )
        if spec.type == ACMEChallengeType.TLS_ALPN01:
            return SelfCheck((await self.listeners.tlsalpn01()).is_presented(spec.dns_name))
        from certpilot.acme.solvers.dns01.propagation import txt_record_propagated

        request, _ = await self._dns01(challenge, resource_namespace)
        dns01 = dns01_config(challenge)
        nameservers, recursive_only = self_check_nameservers(dns01, self.options)
        # The check follows CNAMEs whatever the cnameStrategy, as cert-manager's does: the CA's resolver
        # will, and acme-dns setups point `_acme-challenge` at the account's subdomain without Follow.
        result = await txt_record_propagated(
            request.fqdn, spec.key, nameservers, recursive_only, follow_cname=True
        )
        if result.ok:
            return SelfCheck(True)
        return SelfCheck(False, f"Waiting for {spec.type} challenge propagation: {result.reason}")

    async def _dns01(
        self, challenge: Challenge, resource_namespace: str
    ) -> tuple[Dns01Request, Dns01Provider]:
        from certpilot.acme.solvers.dns01.lookup import challenge_target

        dns01 = dns01_config(challenge)
        choice = provider_for(dns01, self.settings)
        fqdn, zone = await challenge_target(
            challenge.spec.dns_name, follows_cname(dns01), self._nameservers(dns01)
        )
        if challenge.spec.type == ACMEChallengeType.DNS_PERSIST01:
            from certpilot.acme.dns_persist import persist_record_name

            # The CA reads the record at the name itself, never through a CNAME we followed.
            fqdn = absolute(persist_record_name(challenge.spec.dns_name))
        request = Dns01Request(
            dns_name=challenge.spec.dns_name,
            fqdn=fqdn,
            zone=zone,
            value=challenge.spec.key,
            config=choice.config,
            get_secret_value=self._secret_reader(resource_namespace),
            resource_namespace=resource_namespace,
        )
        return request, choice.provider

    def _nameservers(self, dns01: ACMEChallengeSolverDNS01) -> list[NameserverAddress]:
        from certpilot.acme.solvers.dns01.propagation import system_nameservers

        nameservers, _ = self_check_nameservers(dns01, self.options)
        return [parse_nameserver(s) for s in nameservers] or system_nameservers()

    def _secret_reader(self, namespace: str) -> GetSecretValue:
        async def get_secret_value(name: str, key: str) -> bytes:
            try:
                return secret_value(await get_secret(self.store, namespace, name), key)
            except SecretProblem as e:
                raise SolverCredentialsMissing(f"DNS-01 solver credentials: {e}") from None

        return get_secret_value


def self_check_nameservers(
    dns01: ACMEChallengeSolverDNS01, options: ControllerOptions
) -> tuple[tuple[str, ...], bool]:
    """The recursive nameservers a DNS-01 solver looks names up with, and whether the TXT record
    is checked at them only: the solver's own `nameservers` (then only at them, as cert-manager
    skips the authoritative check for them), else the daemon's flags."""
    if dns01.nameservers:
        return tuple(dns01.nameservers), True
    return options.dns01_recursive_nameservers, options.dns01_recursive_nameservers_only


def dns01_config(challenge: Challenge) -> ACMEChallengeSolverDNS01:
    dns01 = challenge.spec.solver.dns01
    if dns01 is None:
        raise SolverUnavailable(f"challenge {challenge.name} is DNS-01 but its solver has no dns01 block")
    return dns01


def follows_cname(dns01: ACMEChallengeSolverDNS01) -> bool:
    return dns01.cname_strategy == CNAMEStrategy.FOLLOW
