"""The admission webhook's HTTPS server: /validate, /mutate and /healthz.

It serves with a certificate it issues itself from the CA in a Secret, and renews it at two thirds
of its life or as soon as the Secret holds another CA. Renewal loads the new certificate into the
listening socket's SSL context, so new connections get it without a restart and open ones finish
on the old one. It runs on every replica: the apiserver may call any of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import ssl
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web

from certpilot.server.admission import (
    AdmissionResponse,
    InvalidReview,
    SignerAccess,
    mutate_admission,
    parse_review,
    validate_admission,
)
from certpilot.server.http import parse_listen
from certpilot.server.serving_certificates import (
    SERVING_LIFETIME,
    KeyPair,
    ensure_ca,
    issue_serving,
    renewal_time,
)
from certpilot.store.protocol import Store

log = logging.getLogger(__name__)

DEFAULT_CA_SECRET = "cert-manager/certpilot-webhook-ca"  # noqa: S105 - a Secret's name
# How often the CA Secret is read again, to follow a replaced CA between renewals.
CA_CHECK_INTERVAL = timedelta(minutes=1)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class WebhookConfig:
    listen: str
    hosts: Sequence[str]  # DNS names and IP addresses the serving certificate names
    ca_secret_namespace: str = DEFAULT_CA_SECRET.partition("/")[0]
    ca_secret_name: str = DEFAULT_CA_SECRET.partition("/")[2]
    serving_lifetime: timedelta = SERVING_LIFETIME


def parse_secret_name(value: str) -> tuple[str, str]:
    """`namespace/name` -> (namespace, name); ValueError names the expected form."""
    namespace, _, name = value.partition("/")
    if not namespace or not name or "/" in name:
        raise ValueError(f"{value!r} must be namespace/name, e.g. {DEFAULT_CA_SECRET}")
    return namespace, name


class WebhookServer:
    def __init__(
        self,
        store: Store,
        access: SignerAccess,
        config: WebhookConfig,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self._access = access
        self._config = config
        self._now = now
        self._ca: KeyPair | None = None
        self._serving: KeyPair | None = None
        self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._context.minimum_version = ssl.TLSVersion.TLSv1_2
        self._runner: web.AppRunner | None = None
        self._renewals: asyncio.Task[None] | None = None

    @property
    def ca(self) -> KeyPair:
        if self._ca is None:
            raise RuntimeError("WebhookServer.ca is known only after start()")
        return self._ca

    @property
    def serving(self) -> KeyPair:
        if self._serving is None:
            raise RuntimeError("WebhookServer.serving is known only after start()")
        return self._serving

    @property
    def port(self) -> int:
        """The bound port (the one the OS chose when listening on port 0)."""
        if self._runner is None:
            raise RuntimeError("WebhookServer.port is known only after start()")
        for address in self._runner.addresses:
            return int(address[1])
        raise RuntimeError("WebhookServer is not bound to any address")

    async def start(self) -> None:
        await self.rotate(force=True)
        app = web.Application()
        app.router.add_post("/validate", self._validate)
        app.router.add_post("/mutate", self._mutate)
        app.router.add_get("/healthz", self._healthz)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        host, port = parse_listen(self._config.listen)
        await web.TCPSite(self._runner, host, port, ssl_context=self._context).start()
        self._renewals = asyncio.create_task(self._renew_forever(), name="webhook-certificate-renewal")
        log.info("webhook serving", extra={"listen": self._config.listen, "hosts": list(self._config.hosts)})

    async def stop(self) -> None:
        if self._renewals is not None:
            self._renewals.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewals
            self._renewals = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def rotate(self, *, force: bool = False) -> bool:
        """Issue a new serving certificate when forced, when the current one is due for renewal, or
        when the Secret's CA is not the one that signed it. True when it issued one."""
        now = self._now()
        ca = await ensure_ca(self._store, self._config.ca_secret_namespace, self._config.ca_secret_name, now)
        serving = self._serving
        due = serving is None or now >= renewal_time(serving.certificate)
        ca_changed = self._ca is None or ca.certificate != self._ca.certificate
        if not (force or due or ca_changed):
            return False
        serving = issue_serving(ca, self._config.hosts, now, self._config.serving_lifetime)
        self._load(serving)
        self._ca, self._serving = ca, serving
        log.info(
            "webhook serving certificate issued",
            extra={
                "serial": f"{serving.certificate.serial_number:x}",
                "not_after": str(serving.certificate.not_valid_after_utc),
            },
        )
        return True

    def _load(self, serving: KeyPair) -> None:
        """Load the pair into the listening context; the files exist only for the call (ssl reads
        only files) in a folder only this user may read."""
        with tempfile.TemporaryDirectory(prefix="certpilot-webhook-") as folder:
            cert_file, key_file = Path(folder, "tls.crt"), Path(folder, "tls.key")
            cert_file.write_bytes(serving.certificate_pem)
            descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(serving.key_pem)
            self._context.load_cert_chain(cert_file, key_file)

    async def _renew_forever(self) -> None:
        while True:
            wait = renewal_time(self.serving.certificate) - self._now()
            await asyncio.sleep(max(1.0, min(wait, CA_CHECK_INTERVAL).total_seconds()))
            try:
                await self.rotate()
            except Exception:
                # The current certificate stays in use; the next check tries again.
                log.exception("webhook serving certificate renewal failed")

    async def _validate(self, request: web.Request) -> web.Response:
        return await self._answer(request, validating=True)

    async def _mutate(self, request: web.Request) -> web.Response:
        return await self._answer(request, validating=False)

    async def _answer(self, request: web.Request, *, validating: bool) -> web.Response:
        try:
            body: Any = await request.json()
            review = parse_review(body)
        except RecursionError:
            return web.json_response({"error": "not an AdmissionReview v1: nested too deeply"}, status=400)
        except (ValueError, InvalidReview) as error:
            return web.json_response({"error": f"not an AdmissionReview v1: {error}"}, status=400)
        if validating:
            try:
                response = await validate_admission(review, self._access)
            except Exception as error:
                log.exception("admission check failed", extra={"uid": review.uid})
                message = f"certpilot could not check the request: {type(error).__name__}"
                response = AdmissionResponse(review.uid, allowed=False, message=message, code=500)
        else:
            response = mutate_admission(review)
        if not response.allowed:
            log.info(
                "admission refused",
                extra={
                    "uid": review.uid,
                    "resource": review.resource,
                    "operation": review.operation,
                    "reason": response.message,
                },
            )
        return web.json_response(response.to_review())

    async def _healthz(self, _: web.Request) -> web.Response:
        return web.Response(text="ok")
