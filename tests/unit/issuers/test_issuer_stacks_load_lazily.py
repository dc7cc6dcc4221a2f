"""The daemon imports an issuer type's client stack (acme/josepy/requests, dnspython, hvac, vcert)
only when an issuer of that type is first served. Each check runs in a fresh interpreter, since
this test process has long imported everything."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("acme", "josepy", "requests", "dns", "hvac", "vcert", "certpilot.acme.client")

SCRIPT = """
import json, sys
from certpilot.api.acme_issuer import ACMEIssuer
from certpilot.api.issuer import CAIssuer, Issuer, IssuerSpec
from certpilot.api.meta import ObjectMeta
from certpilot.controllers.options import ControllerOptions
from certpilot.controllers.all_controllers import build_all
from certpilot.issuers.registry import builtin_backends

heavy = {heavy!r}
loaded = lambda: sorted(m for m in heavy if m in sys.modules)
build_all(ControllerOptions())
backends = builtin_backends()
ca = Issuer(
    metadata=ObjectMeta(name="ca", namespace="default"), spec=IssuerSpec(ca=CAIssuer(secret_name="s"))
)
backends.backend_for(ca)
idle = loaded()
acme = Issuer(
    metadata=ObjectMeta(name="acme", namespace="default"),
    spec=IssuerSpec(
        acme=ACMEIssuer(server="https://127.0.0.1:14000/dir", private_key_secret_ref={{"name": "k"}})
    ),
)
backends.backend_for(acme)
print(json.dumps({{"idle": idle, "after_acme": loaded()}}))
"""


def test_only_ca_issuers_load_no_client_stack_and_acme_loads_its_own() -> None:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(heavy=HEAVY)], check=True, capture_output=True, text=True
    )
    loaded = json.loads(out.stdout.splitlines()[-1])
    assert loaded["idle"] == []
    assert {"acme", "josepy", "requests", "certpilot.acme.client"} <= set(loaded["after_acme"])
