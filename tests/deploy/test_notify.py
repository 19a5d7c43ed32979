"""``ghosthands notify-deploy``: the seed's payload, retries under one delivery id, and an
exit code that tells CI whether VALET accepted it (a local HTTP server plays VALET)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks.webhooks import Webhook

from ghosthands.deploy.fleet import FleetHost, host_command
from tests.support import clean_env

SECRET = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="


class Valet:
    """Answers each POST with the next code in ``codes`` and records what it got."""

    def __init__(self, codes: list[int]) -> None:
        self.codes = codes
        self.received: list[tuple[dict[str, str], bytes]] = []
        valet = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                valet.received.append((dict(self.headers), body))
                code = valet.codes.pop(0) if valet.codes else 200
                self.send_response(code)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/webhooks/ghosthands"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def valet() -> Iterator[type[Valet]]:
    made: list[Valet] = []

    class Made(Valet):
        def __init__(self, codes: list[int]) -> None:
            super().__init__(codes)
            made.append(self)

    yield Made
    for server in made:
        server.httpd.shutdown()
        server.httpd.server_close()


def notify(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = clean_env(
        VALET_DEPLOY_WEBHOOK_URL=url,
        VALET_DEPLOY_WEBHOOK_SECRET=SECRET,
        ECR_REGISTRY="123456789.dkr.ecr.us-east-1.amazonaws.com",
        ECR_REPOSITORY="ghosthands",
        GITHUB_SHA="abc123def456789",
        GITHUB_REF_NAME="main",
        GITHUB_REPOSITORY="WeKruit/GHOST-HANDS",
        GITHUB_RUN_ID="12345678",
        GITHUB_SERVER_URL="https://github.com",
    )
    return subprocess.run(
        [sys.executable, "-m", "ghosthands", "notify-deploy", "--backoff", "0.05", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_payload_headers_and_retry_under_one_id(valet: type[Valet]) -> None:
    server = valet([503, 502, 200])
    result = notify(server.url, "--image-tag", "abc123def", "--commit-message", "fix: timeout")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "NOTIFY_STATUS=accepted" in result.stdout
    assert len(server.received) == 3
    ids = {headers["webhook-id"] for headers, _ in server.received}
    assert len(ids) == 1  # one delivery, retried
    headers, body = server.received[-1]
    payload = json.loads(body)
    assert payload == {
        "event": "ghosthands.deploy_ready",
        "image": "123456789.dkr.ecr.us-east-1.amazonaws.com/ghosthands:abc123def",
        "image_tag": "abc123def",
        "image_latest": "123456789.dkr.ecr.us-east-1.amazonaws.com/ghosthands:latest",
        "commit_sha": "abc123def456789",
        "commit_message": "fix: timeout",
        "branch": "main",
        "repository": "WeKruit/GHOST-HANDS",
        "run_id": "12345678",
        "run_url": "https://github.com/WeKruit/GHOST-HANDS/actions/runs/12345678",
        "timestamp": payload["timestamp"],
    }
    assert headers["X-GH-Event"] == "deploy_ready"
    assert Webhook(SECRET).verify(body, headers)["image_tag"] == "abc123def"


def test_a_refusal_is_not_retried_and_fails_the_step(valet: type[Valet]) -> None:
    server = valet([401])
    result = notify(server.url, "--image-tag", "abc123def")
    assert result.returncode == 1
    assert "NOTIFY_STATUS=rejected" in result.stdout
    assert len(server.received) == 1


def test_giving_up_after_the_attempts_fails_the_step(valet: type[Valet]) -> None:
    server = valet([500, 500, 500])
    result = notify(server.url, "--image-tag", "abc123def", "--attempts", "3")
    assert result.returncode == 1 and len(server.received) == 3


def test_missing_secret_is_a_configuration_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ghosthands", "notify-deploy", "--image-tag", "x"],
        env=clean_env(VALET_DEPLOY_WEBHOOK_URL="http://127.0.0.1:9/x"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 78 and "VALET_DEPLOY_WEBHOOK_SECRET" in result.stderr


def test_ssh_host_command_quotes_everything() -> None:
    host = FleetHost(name="ec2-1", ssh="ubuntu@10.0.1.17", dir="/opt/gh hands")
    argv, _ = host_command(host, "abc'123", {"ECR_REGISTRY": "reg.example", "PATH": "/bin"})
    assert argv[:6] == ["ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=15", "ubuntu@10.0.1.17"]
    remote = argv[6]
    assert remote.startswith("cd '/opt/gh hands' && ")
    assert "ECR_REGISTRY=reg.example" in remote and "PATH=" not in remote
    assert remote.endswith("ghosthands deploy release 'abc'\"'\"'123'")
