"""What can go wrong solving DNS-01, as exceptions whose messages tell the user what to fix.

None of them ever carries a secret: no TSIG secret, key authorization or webhook credential.
They carry retry intent for the runtime: a failure is retried with backoff (DNS servers and webhooks
recover, policies get fixed), except a configuration that cannot work, which waits for the Issuer to change.
"""

from __future__ import annotations

from certpilot.runtime.errors import PermanentError, ReconcileError


class Dns01Error(ReconcileError):
    """Base of every DNS-01 solver failure (retried with backoff unless it is also a PermanentError)."""


class InvalidProviderConfig(Dns01Error, PermanentError):
    """The provider's configuration block cannot work as written (fix the Issuer)."""


class ProviderNotSupported(InvalidProviderConfig):
    """The dns01 block names a provider certpilot has no module for."""


class ZoneNotFound(Dns01Error):
    """No SOA record was found for any parent of the name: the zone is unknown to the nameservers asked."""


class DnsServerUnreachable(Dns01Error):
    """A nameserver did not answer (timeout or connection error)."""


class DnsUpdateRefused(Dns01Error):
    """The nameserver refused the RFC2136 update (REFUSED): its update policy does not allow this key/name."""


class DnsUpdateNotAuthorized(Dns01Error):
    """The nameserver is not authoritative for the zone, or rejected the TSIG key (NOTAUTH, BADSIG)."""


class DnsUpdateFailed(Dns01Error):
    """Any other non-NOERROR answer to an RFC2136 update."""


class WebhookError(Dns01Error):
    """The DNS-01 webhook could not be reached, or answered that it failed."""


class ProviderSdkMissing(InvalidProviderConfig):
    """The provider's SDK is not installed: the message names the extra to install."""


class ProviderCredentialsRejected(Dns01Error):
    """The vendor's API refused the credentials; the message names the Secret and key they came from."""


class ProviderApiError(Dns01Error):
    """The vendor's API could not be reached, or answered with an error other than refused credentials."""


def sdk_missing(extra: str, package: str) -> ProviderSdkMissing:
    """The error for a provider whose SDK (`package`) is not installed; `extra` names the
    `certpilot[...]` extra that installs it."""
    return ProviderSdkMissing(
        f"the {extra} DNS-01 provider needs {package}, which is not installed: "
        f"pip install 'certpilot[{extra}]'"
    )
