"""What the local stand-in servers (LocalPlivo, LocalSmtp) share: a free port, the lifecycle of a server that
serves in a background thread (start once, stop, `with`), and the manual-use loop of their `main`."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, Self, TypeVar

from scripts.stack_parts import free_port

__all__ = ["LocalServer", "free_port"]

Received = TypeVar("Received")


class LocalServer(Generic[Received]):
    """A server on 127.0.0.1 that serves in a background thread and keeps what it receives (`messages`)."""

    def _serving(self) -> bool:
        raise NotImplementedError

    def _serve(self) -> None:
        """Start serving in a background thread."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop serving and free the port."""
        raise NotImplementedError

    @property
    def messages(self) -> list[Received]:
        """What it received, in order (a snapshot)."""
        raise NotImplementedError

    def start(self) -> Self:
        """Serve in a background thread (once)."""
        if not self._serving():
            self._serve()
        return self

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def print_until_interrupted(self, settings: list[str], describe: Callable[[Received], str]) -> None:
        """Manual use, once started: print `settings` (what to put in .env), then every message as it arrives,
        until Ctrl-C; then stop."""
        for line in settings:
            print(line, flush=True)
        seen = 0
        try:
            while True:
                time.sleep(0.5)
                messages = self.messages
                for message in messages[seen:]:
                    print(describe(message), flush=True)
                seen = len(messages)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()
