"""How many seconds one HTTP call to an ACME server may take, unless `certpilot run --acme-http-timeout`
says otherwise. A module of its own so the daemon's options can name it without loading the client's
stack (acme, josepy, requests)."""

DEFAULT_ACME_HTTP_TIMEOUT_SECONDS = 30
