"""Why an HTTP-01 Challenge cannot be solved on this cluster until its solver or the cluster changes."""

from __future__ import annotations

from certpilot.runtime.errors import PermanentError, RetryWithBackoff


class Http01SolverMisconfigured(PermanentError):
    """The solver's http01 block cannot work as written (no ingress nor gatewayHTTPRoute, both
    `class` and `ingressClassName`...); fixed by editing the issuer."""


class SolverObjectsConflict(RetryWithBackoff):
    """Solver objects were found in a state certpilot cleaned up (duplicates, a changed Service);
    retried, and the next attempt starts afresh, as cert-manager does."""
