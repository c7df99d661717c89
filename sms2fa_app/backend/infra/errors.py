"""Exceptions the backend raises across layers; state/ catches them at the edge."""


class BackendError(Exception):
    """Base of the backend's own exceptions."""


class ServiceUnavailable(BackendError):
    """A dependency (Redis, the database) is unreachable: fail closed."""
