"""CertificateRequest approval and signing."""
