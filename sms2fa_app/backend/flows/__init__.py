"""Use cases: each one function (or method of a small flows object wired in services.py) that combines the rules of
identity/ and factors/ and returns a typed result saying what happened. identity/ and factors/ never import this."""
