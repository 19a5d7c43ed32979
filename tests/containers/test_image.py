"""The image under podman: a non-root API that turns healthy, Chromium that runs, and
`podman stop` draining each role within its limits."""

from __future__ import annotations

import http.server
import json
import threading
import time

import httpx

from tests.containers.conftest import GATEWAY, podman, unique
from tests.support import free_port, wait_until


def run(
    image: str,
    name: str,
    *args: str,
    env: dict[str, str],
    network: str,
    command: tuple[str, ...] = (),
) -> None:
    flags = [f"--env={k}={v}" for k, v in env.items()]
    podman("run", "-d", "--name", name, "--network", network, *flags, *args, image, *command)


def logs(name: str) -> list[dict[str, object]]:
    out = podman("logs", name, check=False)
    found = []
    for line in (out.stdout + out.stderr).splitlines():
        if line.startswith("{"):
            try:
                found.append(json.loads(line))
            except ValueError:
                pass
    return found


def has_event(name: str, event: str) -> bool:
    return any(item.get("event") == event for item in logs(name))


def test_api_container_is_healthy_and_not_root(
    images: dict[str, str], network: str, container_database_url: str, containers: list[str]
) -> None:
    name, port = unique("gh-api"), free_port()
    containers.append(name)
    run(
        images["v1"],
        name,
        "-p",
        f"127.0.0.1:{port}:3100",
        env={"DATABASE_URL": container_database_url},
        network=network,
    )
    wait_until(
        lambda: podman("healthcheck", "run", name, check=False).returncode == 0,
        60,
        "the image's HEALTHCHECK (ghosthands health) to pass",
    )
    body = httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).json()
    assert body["status"] == "ok" and body["commit_sha"] == "v1"
    assert podman("exec", name, "id", "-un").stdout.strip() == "ghosthands"
    assert podman("exec", name, "id", "-u").stdout.strip() != "0"
    # The entrypoint is ghosthands itself (PID 1), so signals reach its supervisor.
    assert "ghosthands" in podman("exec", name, "cat", "/proc/1/cmdline").stdout


def test_chromium_runs_in_the_image(images: dict[str, str]) -> None:
    script = (
        "from playwright.sync_api import sync_playwright\n"
        "with sync_playwright() as p:\n"
        "    b = p.chromium.launch(executable_path='/usr/bin/chromium',"
        " args=['--no-sandbox', '--disable-gpu'])\n"
        "    page = b.new_page()\n"
        "    page.set_content('<h1 id=t>from the image</h1>')\n"
        "    print(page.inner_text('#t'))\n"
        "    b.close()\n"
    )
    result = podman(
        "run",
        "--rm",
        "--shm-size",
        "1g",
        "--entrypoint",
        "python",
        images["v1"],
        "-c",
        script,
        timeout=180,
    )
    assert result.stdout.strip() == "from the image"


def test_podman_stop_drains_the_api_with_a_request_in_flight(
    images: dict[str, str], network: str, container_database_url: str, containers: list[str]
) -> None:
    name, port = unique("gh-api"), free_port()
    containers.append(name)
    run(
        images["v1"],
        name,
        "-p",
        f"127.0.0.1:{port}:3100",
        env={"DATABASE_URL": container_database_url, "GH_ENABLE_TEST_ROUTES": "true"},
        network=network,
    )
    wait_until(lambda: has_event(name, "role_ready"), 60, "the API to be ready")
    answer: dict[str, object] = {}

    def slow() -> None:
        answer["r"] = httpx.get(f"http://127.0.0.1:{port}/__test__/slow?seconds=2", timeout=20)

    request = threading.Thread(target=slow)
    request.start()
    wait_until(lambda: has_event(name, "test_slow_started"), 20, "the slow request to start")
    started = time.monotonic()
    podman("stop", "-t", "10", name)
    took = time.monotonic() - started
    request.join(20)
    response = answer.get("r")
    assert isinstance(response, httpx.Response) and response.status_code == 200
    state = json.loads(podman("inspect", name).stdout)[0]["State"]
    assert state["ExitCode"] == 0, state
    assert took < 7, took  # the 5 s API drain, not the 10 s kill
    assert has_event(name, "drain_started")


def test_podman_stop_drains_the_worker_within_its_limit(
    images: dict[str, str], network: str, container_database_url: str, containers: list[str]
) -> None:
    name = unique("gh-worker")
    containers.append(name)
    run(
        images["v1"],
        name,
        "--shm-size",
        "1g",
        env={"DATABASE_URL": container_database_url},
        network=network,
        command=("work",),
    )
    wait_until(lambda: has_event(name, "role_ready"), 60, "the worker to be ready")
    started = time.monotonic()
    podman("stop", "-t", "40", name)
    took = time.monotonic() - started
    state = json.loads(podman("inspect", name).stdout)[0]["State"]
    assert state["ExitCode"] == 0, state
    assert took < 35, took
    events = [item.get("event") for item in logs(name)]
    assert "drain_started" in events and "stopped" in events


class _Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<html><head><title>Careers at Example</title></head><body>ok</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_a_job_runs_end_to_end_through_api_and_worker_containers(
    images: dict[str, str], network: str, container_database_url: str, containers: list[str]
) -> None:
    site = http.server.ThreadingHTTPServer(("0.0.0.0", 0), _Page)  # noqa: S104 - bridge
    threading.Thread(target=site.serve_forever, daemon=True).start()
    secret = "container-e2e-service-key"
    env = {
        "DATABASE_URL": container_database_url,
        "GH_SERVICE_SECRET": secret,
        # The page is served by the test on the bridge's gateway: a private address.
        "GH_ALLOW_PRIVATE_NETWORKS": "true",
        "GH_POLL_SECONDS": "1",
    }
    api, worker, port = unique("gh-api"), unique("gh-worker"), free_port()
    containers.extend([api, worker])
    try:
        run(images["v1"], api, "-p", f"127.0.0.1:{port}:3100", env=env, network=network)
        run(images["v1"], worker, "--shm-size", "1g", env=env, network=network, command=("work",))
        wait_until(lambda: has_event(worker, "role_ready"), 60, "the worker to be ready")
        base = f"http://127.0.0.1:{port}/api/v1/gh"
        headers = {"X-GH-Service-Key": secret}

        def submit() -> httpx.Response | None:
            try:
                return httpx.post(
                    f"{base}/jobs",
                    headers=headers,
                    timeout=5,
                    json={
                        "job_type": "http_check",
                        "target_url": f"http://{GATEWAY}:{site.server_address[1]}/careers",
                        "user_id": "00000000-0000-4000-8000-0000000000c1",
                    },
                )
            except httpx.HTTPError:
                return None

        created = wait_until(submit, 60, "the API container to accept a job")
        assert created.status_code == 201, created.text
        job_id = created.json()["id"]

        def finished() -> dict[str, object] | None:
            body: dict[str, object] = httpx.get(
                f"{base}/jobs/{job_id}", headers=headers, timeout=5
            ).json()
            return body if body["status"] in ("completed", "failed") else None

        job = wait_until(finished, 60, "the job to finish in the worker container")
        assert job["status"] == "completed", job
        result = job["result_data"]
        assert isinstance(result, dict)
        assert result["status_code"] == 200
        assert result["title"] == "Careers at Example"
    finally:
        site.shutdown()
