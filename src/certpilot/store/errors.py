"""Errors every Store backend raises, with Kubernetes' meanings."""


class StoreError(Exception):
    """Base of store errors."""


class NotFound(StoreError):
    """The object does not exist."""


class AlreadyExists(StoreError):
    """create() of a name that is taken."""


class Conflict(StoreError):
    """update() with a stale resourceVersion: re-read and try again."""


class Invalid(StoreError):
    """The write breaks an API rule (immutable field changed, bad transition...)."""


class Gone(StoreError):
    """watch() asked to resume from a resourceVersion that is no longer kept: list again."""


class Unavailable(StoreError):
    """The store cannot serve the request now (closed, or its database is locked or failing)."""


class Forbidden(StoreError):
    """The store refused the caller: not authenticated, or not allowed this verb on this resource."""


class Damaged(Unavailable):
    """The store's file is corrupt or truncated: certpilot will not use it; restore a backup."""
