"""The ACME protocol layer: a synchronous RFC 8555 client over certbot's `acme` library
(`certpilot.acme.client`), and the HTTP-01 / TLS-ALPN-01 solvers (DNS-01 providers live in
`certpilot.acme.solvers.dns01`).

Nothing is imported here: the scheduler and solver selection are pure and light, and the daemon
loads the client's stack (acme, josepy, requests) only once an ACME issuer, Order or Challenge exists.
"""
