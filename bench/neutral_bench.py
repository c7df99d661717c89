"""How long the neutral answers take for an address that has an account and for one that has none.

    python bench/neutral_bench.py [--rounds N]

Sign-up (verification on) and "forgot password" answer the same words whatever the address; this measures that
they also take the same time. Production password hashing, a real Redis server, a SQLite file; the limits are
raised so nothing is refused; the queued jobs are left undrained (the answer does not wait for them). Calls for
the two kinds of address alternate, and the medians and the spread are printed side by side.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlmodel import SQLModel  # noqa: E402

from sms2fa_app.backend.infra.clock import SystemClock  # noqa: E402
from sms2fa_app.backend.infra.db import Database, make_engine  # noqa: E402
from sms2fa_app.backend.services import build_services  # noqa: E402
from sms2fa_app.config import load_settings  # noqa: E402
from tests.support.factories import PASSWORD, create_user  # noqa: E402
from tests.support.recording_gateway import RecordingGateway  # noqa: E402
from tests.support.recording_mailer import RecordingMailer  # noqa: E402
from tests.support.redis_server import RedisServer  # noqa: E402

HIGH = str(10**9)


def timed(call: Callable[[str], object], email: str) -> float:
    start = time.perf_counter()
    call(email)
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory() as work, RedisServer() as server:
        settings = load_settings(
            {
                "DATA_DIR": work,
                "SECRET_KEY": "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
                "SIGNUPS_PER_HOUR_PER_IP": HIGH,
                "SIGNUPS_PER_HOUR_PER_ADDRESS": HIGH,
                "PASSWORD_RESETS_PER_HOUR_PER_IP": HIGH,
                "PASSWORD_RESETS_PER_HOUR_PER_ADDRESS": HIGH,
            },
            env_file=None,
        )
        engine = make_engine(f"sqlite:///{Path(work) / 'bench.db'}")
        SQLModel.metadata.create_all(engine)
        client = server.client()
        services = build_services(
            settings,
            clock=SystemClock(),
            redis_client=client,
            database=Database(engine),
            gateway=RecordingGateway(),
            mailer=RecordingMailer(),
        )
        create_user(services, "taken@example.com")
        cases: dict[str, Callable[[str], object]] = {
            "sign-up": lambda email: services.accounts.sign_up(email, PASSWORD, PASSWORD, "203.0.113.9"),
            "forgot password": lambda email: services.password_resets.request(email, "203.0.113.9"),
        }
        print(f"{'answer':<18}{'address':<14}{'median ms':>10}{'p10 ms':>9}{'p90 ms':>9}")
        for name, call in cases.items():
            samples: dict[str, list[float]] = {"has account": [], "has none": []}
            for n in range(rounds):
                samples["has account"].append(timed(call, "taken@example.com"))
                samples["has none"].append(timed(call, f"nobody{n}@example.com"))
            medians = {}
            for kind, values in samples.items():
                deciles = statistics.quantiles(values, n=10)
                medians[kind] = statistics.median(values)
                print(f"{name:<18}{kind:<14}{medians[kind]:>10.2f}{deciles[0]:>9.2f}{deciles[-1]:>9.2f}")
            ratio = medians["has account"] / medians["has none"]
            print(f"{'':<18}{'ratio':<14}{ratio:>10.3f}")
            client.delete("jobs:due", "jobs:data")
        client.close()


if __name__ == "__main__":
    main()
