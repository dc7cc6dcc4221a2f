"""issuers layer."""
