"""HTTP routes beside Reflex's own (requests from Plivo); thin: each one calls one backend operation."""
