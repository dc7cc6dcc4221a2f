"""ACME challenge solvers: http01 and tlsalpn01 listeners, dns01 providers."""
