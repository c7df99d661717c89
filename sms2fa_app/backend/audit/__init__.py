"""The security activity log and the notices sent about it."""
