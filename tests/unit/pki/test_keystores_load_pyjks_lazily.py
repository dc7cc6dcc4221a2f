"""pyjks loads with the first JKS keystore, not with the module every daemon imports. Checked in
a fresh interpreter, since this test process has long imported pyjks."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = """
import datetime, json, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
import certpilot.controllers.all_controllers
from certpilot.pki.keystores import jks_truststore

at_start = "jks" in sys.modules
key = ec.generate_private_key(ec.SECP256R1())
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ca")])
now = datetime.datetime.now(datetime.timezone.utc)
ca = (
    x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
    .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
    .sign(key, hashes.SHA256())
)
jks_truststore([ca], b"changeit")
print(json.dumps({"at_start": at_start, "after_jks": "jks" in sys.modules}))
"""


def test_pyjks_is_imported_by_the_first_jks_keystore_only() -> None:
    out = subprocess.run([sys.executable, "-c", SCRIPT], check=True, capture_output=True, text=True)
    loaded = json.loads(out.stdout.splitlines()[-1])
    assert loaded == {"at_start": False, "after_jks": True}
