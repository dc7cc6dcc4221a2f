"""Issuer and ClusterIssuer readiness."""
