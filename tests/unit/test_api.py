"""/healthz, /readyz and /metrics (the HTTP routes beside the Reflex app)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
import redis
from starlette.testclient import TestClient

from sms2fa_app.api import health as api_module
from sms2fa_app.api.routes import api_app
from sms2fa_app.backend.infra import metrics
from sms2fa_app.backend.services import Services
from sms2fa_app.config import Settings
from tests.conftest import make_settings

TOKEN = "metrics-token-0123456789-abcdefghijklmnop"


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with TestClient(api_app()) as test_client:
        yield test_client


@pytest.fixture
def with_token(monkeypatch: pytest.MonkeyPatch, tmp_path) -> Settings:
    settings = make_settings(tmp_path, METRICS_TOKEN=TOKEN)
    monkeypatch.setattr(api_module, "get_settings", lambda: settings)
    return settings


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_healthz_answers_while_the_process_runs(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.text == "ok\n"


def test_readyz_checks_the_database_and_redis(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200 and response.json() == {"database": "ok", "redis": "ok"}


@pytest.mark.slow  # waits out a Redis connect timeout
def test_readyz_says_which_dependency_does_not_answer(client: TestClient, services: Services) -> None:
    services.redis = redis.Redis(port=closed_port(), socket_connect_timeout=0.5)
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json() == {"database": "ok", "redis": "unavailable"}


def test_metrics_need_the_token(client: TestClient, with_token: Settings) -> None:
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    metrics.count_text("US", "sent")
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert 'sms2fa_texts_total{country="US",outcome="sent"}' in response.text
    for name in ("sms2fa_verifies", "sms2fa_lockouts", "sms2fa_logins", "sms2fa_limit_refusals"):
        assert f"# TYPE {name}_total counter" in response.text or f"# TYPE {name} counter" in response.text
    assert "# TYPE sms2fa_handler_seconds histogram" in response.text


def test_metrics_do_not_exist_without_a_token(client: TestClient) -> None:
    assert client.get("/metrics").status_code == 404
