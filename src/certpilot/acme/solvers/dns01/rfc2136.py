"""RFC 2136 dynamic DNS updates, signed with TSIG: BIND, Knot, PowerDNS, Windows DNS...

Present adds one TXT value and cleanup deletes exactly that value, so an apex and a wildcard challenge
sharing `_acme-challenge.<name>` can be solved at the same time. Updates go over UDP (retried over TCP
when the answer is truncated) or TCP, as the `protocol` field says.
"""

from __future__ import annotations

import binascii

import dns.asyncquery
import dns.exception
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT
import dns.tsig
import dns.update

from certpilot.acme.solvers.dns01.errors import (
    DnsServerUnreachable,
    DnsUpdateFailed,
    DnsUpdateNotAuthorized,
    DnsUpdateRefused,
    InvalidProviderConfig,
)
from certpilot.acme.solvers.dns01.lookup import find_zone, ip_of
from certpilot.acme.solvers.dns01.names import NameserverAddress, absolute, parse_nameserver
from certpilot.acme.solvers.dns01.provider import TXT_TTL, Dns01Request, GetSecretValue
from certpilot.api.acme_issuer import ACMEIssuerDNS01ProviderRFC2136
from certpilot.api.enums import RFC2136Protocol

UPDATE_TIMEOUT = 10.0

_ALGORITHMS = {
    "HMACMD5": dns.tsig.HMAC_MD5,
    "HMACSHA1": dns.tsig.HMAC_SHA1,
    "HMACSHA256": dns.tsig.HMAC_SHA256,
    "HMACSHA512": dns.tsig.HMAC_SHA512,
}


def tsig_algorithm_named(name: str | None) -> dns.name.Name:
    """dnspython's algorithm for cert-manager's name (HMACSHA256; also hmac-sha256 / HMAC-SHA256.).

    Unset means HMACMD5, cert-manager's default.
    """
    canonical = (name or "HMACMD5").upper().rstrip(".").replace("-", "")
    try:
        return _ALGORITHMS[canonical]
    except KeyError:
        raise InvalidProviderConfig(
            f"rfc2136 tsigAlgorithm {name!r} is not supported: use one of {', '.join(_ALGORITHMS)}"
        ) from None


async def tsig_key_of(
    config: ACMEIssuerDNS01ProviderRFC2136, get_secret_value: GetSecretValue
) -> dns.tsig.Key | None:
    """The TSIG key to sign with, or None for unsigned updates (no tsigKeyName configured)."""
    if not config.tsig_key_name:
        return None
    ref = config.tsig_secret_secret_ref
    if ref is None or not ref.key:
        raise InvalidProviderConfig(
            "rfc2136 tsigKeyName is set but tsigSecretSecretRef (name and key) is not: "
            "reference the Secret key holding the base64 TSIG secret"
        )
    secret = (await get_secret_value(ref.name, ref.key)).decode().strip()
    try:
        return dns.tsig.Key(
            absolute(config.tsig_key_name), secret, tsig_algorithm_named(config.tsig_algorithm)
        )
    except (binascii.Error, ValueError):
        raise InvalidProviderConfig(
            f"the TSIG secret in Secret {ref.name!r} key {ref.key!r} is not valid base64"
        ) from None


def txt_rdata(value: str) -> dns.rdtypes.ANY.TXT.TXT:
    return dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, dns.rdatatype.TXT, [value.encode()])


def update_message(
    zone: str, fqdn: str, value: str, key: dns.tsig.Key | None, add: bool
) -> dns.update.UpdateMessage:
    """The update adding (or deleting) exactly one TXT `value` at `fqdn` in `zone`."""
    update = dns.update.UpdateMessage(absolute(zone))
    if key is not None:
        update.use_tsig(key, keyname=key.name, algorithm=key.algorithm)
    if add:
        update.add(absolute(fqdn), TXT_TTL, txt_rdata(value))
    else:
        update.delete(absolute(fqdn), txt_rdata(value))
    return update


def rejection_error(
    rcode: dns.rcode.Rcode, server: NameserverAddress, zone: str, fqdn: str, key: dns.tsig.Key | None
) -> Exception | None:
    """The error for an update answered with `rcode`, or None for NOERROR."""
    if rcode == dns.rcode.NOERROR:
        return None
    signer = f"TSIG key {key.name.to_text(omit_final_dot=True)!r}" if key else "unsigned updates"
    where = f"nameserver {server} for {fqdn} in zone {zone}"
    if rcode == dns.rcode.REFUSED:
        return DnsUpdateRefused(
            f"{where} REFUSED the update: its update-policy/allow-update must grant {signer} "
            "(set tsigKeyName and tsigSecretSecretRef if it is unsigned)"
        )
    if rcode == dns.rcode.NOTAUTH:
        return DnsUpdateNotAuthorized(
            f"{where} answered NOTAUTH: it is not the primary for this zone, or it does not accept {signer}"
        )
    if rcode == dns.rcode.NOTZONE:
        return DnsUpdateFailed(f"{where} answered NOTZONE: {fqdn} is not inside zone {zone}")
    return DnsUpdateFailed(f"{where} rejected the update: {dns.rcode.to_text(rcode)}")


class RFC2136Provider:
    """The `rfc2136` DNS-01 provider."""

    async def present(self, request: Dns01Request) -> None:
        await self._update(request, add=True)

    async def cleanup(self, request: Dns01Request) -> None:
        await self._update(request, add=False)

    async def _update(self, request: Dns01Request, add: bool) -> None:
        config = request.config
        if not isinstance(config, ACMEIssuerDNS01ProviderRFC2136):
            raise InvalidProviderConfig("the rfc2136 provider was handed a non-rfc2136 configuration block")
        server = parse_nameserver(config.nameserver)
        key = await tsig_key_of(config, request.get_secret_value)
        zone = request.zone or await find_zone(request.fqdn, [server])
        message = update_message(zone, request.fqdn, request.value, key, add)
        response = await send(message, server, use_tcp=config.protocol == RFC2136Protocol.TCP, key=key)
        error = rejection_error(response.rcode(), server, zone, request.fqdn, key)
        if error is not None:
            raise error


async def send(
    message: dns.message.Message, server: NameserverAddress, use_tcp: bool, key: dns.tsig.Key | None
) -> dns.message.Message:
    """Send an update and read its answer, turning transport and TSIG failures into clear errors."""
    signer = f"TSIG key {key.name.to_text(omit_final_dot=True)!r}" if key else "the update"
    address = await ip_of(server.host)
    try:
        if use_tcp:
            return await dns.asyncquery.tcp(message, address, port=server.port, timeout=UPDATE_TIMEOUT)
        response, _ = await dns.asyncquery.udp_with_fallback(
            message, address, port=server.port, timeout=UPDATE_TIMEOUT
        )
        return response
    except dns.tsig.PeerBadKey:
        raise DnsUpdateNotAuthorized(
            f"nameserver {server} does not know {signer} (BADKEY): check tsigKeyName matches the server's key"
        ) from None
    except dns.tsig.PeerBadSignature:
        raise DnsUpdateNotAuthorized(
            f"nameserver {server} rejected the signature of {signer} (BADSIG): "
            "check the TSIG secret and tsigAlgorithm match the server's key"
        ) from None
    except dns.tsig.PeerBadTime:
        raise DnsUpdateNotAuthorized(
            f"nameserver {server} rejected {signer} (BADTIME): the clocks of certpilot and the server differ"
        ) from None
    except dns.tsig.PeerError as err:
        raise DnsUpdateNotAuthorized(f"nameserver {server} rejected {signer}: {type(err).__name__}") from None
    except (dns.exception.Timeout, OSError) as err:
        raise DnsServerUnreachable(
            f"nameserver {server} did not answer the update: {err or type(err).__name__}"
        ) from None
