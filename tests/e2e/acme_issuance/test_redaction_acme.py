"""No secret in anything certpilot prints or serves while an ACME issuer with External Account
Binding registers and issues: a real `certpilot run --log-level DEBUG` against pebble requiring EAB,
one certificate over HTTP-01 (answered by the daemon's own listener, the name resolved by BIND) and
one over DNS-01 (RFC2136 updates to BIND signed with TSIG). Searched for, in every form
tests/e2e/cli/redaction_harness.py lists: the EAB HMAC key (as written in its Secret and decoded),
the TSIG secret (likewise), the ACME account private key the daemon generated (read back from its
Secret; PEM and JWK "d") and both issued certificates' private keys. Searched in: every DEBUG
log line, Events, `get -o yaml` of Issuers, Certificates, CertificateRequests, Orders and Challenges
taken while the daemon works and after (a Challenge that lives less than one snapshot apart is seen
only through the log and Events), `describe` of every object, `status` and `inspect secret`, and
/metrics."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

from certpilot.testing.peers.bind import BindServer
from certpilot.testing.peers.pebble import PebbleServer
from tests.e2e.acme_issuance.issuance_harness import (
    EAB_HMAC_KEY,
    EAB_KEY_ID,
    acme_issuer,
    certificate,
    eab_secret,
    rfc2136_solver,
    tsig_secret,
)
from tests.e2e.cli.cli_harness import Cli, Daemon
from tests.e2e.cli.redaction_harness import Transcript, apply, leaks, private_key, secret_data

# What a manifest says for HTTP-01 (the standalone daemon answers it on --http01-listen).
HTTP01: dict[str, Any] = {"http01": {"ingress": {}}}


def test_no_eab_hmac_account_key_or_private_key_in_anything_printed_or_served(
    tmp_path: Path, pebble_factory: Callable[..., PebbleServer], http01_port: int, bind: BindServer
) -> None:
    pebble = pebble_factory("eab", eab_required=True, eab_keys={EAB_KEY_ID: EAB_HMAC_KEY})
    binding = {"keyID": EAB_KEY_ID, "keySecretRef": {"name": "eab", "key": "secret"}, "keyAlgorithm": "HS256"}
    dns01 = rfc2136_solver(bind, dnsNames=["dns.example.test"])
    cli = Cli(tmp_path / "store.db")
    daemon = Daemon(
        cli,
        tmp_path,
        "--log-level",
        "DEBUG",
        "--dns01-recursive-nameservers",
        bind.address,
        "--dns01-check-retry-period",
        "0.5",
        http01_port=http01_port,
    )
    with Transcript(cli, daemon) as transcript:
        apply(
            cli,
            tmp_path,
            [
                eab_secret(EAB_HMAC_KEY).to_dict(),
                tsig_secret(bind).to_dict(),
                acme_issuer(pebble, solvers=[HTTP01, dns01], external_account_binding=binding).to_dict(),
                certificate("web", ["web.example.test"]).to_dict(),
                certificate("dns", ["dns.example.test"]).to_dict(),
            ],
        )
        transcript.watch_until_ready(["web", "dns"])
    hmac_key = base64.urlsafe_b64decode(EAB_HMAC_KEY + "=" * (-len(EAB_HMAC_KEY) % 4))
    secrets = {
        "EAB HMAC": EAB_HMAC_KEY.encode(),
        "EAB HMAC (decoded)": hmac_key,
        **private_key("ACME account key", secret_data(cli, "acme-account-key", "tls.key")),
        "TSIG secret": bind.tsig_secret.encode(),
        "TSIG secret (decoded)": base64.b64decode(bind.tsig_secret),
        **private_key("leaf key (HTTP-01)", secret_data(cli, "web-tls", "tls.key")),
        **private_key("leaf key (DNS-01)", secret_data(cli, "dns-tls", "tls.key")),
    }
    assert transcript.leaks(secrets) == []
    # The search finds each secret where one is: `get secret -o yaml` prints data, as kubectl does.
    where_they_are = "".join(
        cli("get", "secret", name, "-o", "yaml").stdout
        for name in ("eab", "tsig", "acme-account-key", "web-tls", "dns-tls")
    )
    found = set(leaks(where_they_are, secrets))
    assert {"EAB HMAC", "TSIG secret", "ACME account key", "leaf key (HTTP-01)", "leaf key (DNS-01)"} <= found
