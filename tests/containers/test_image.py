"""The image under podman: a non-root API that turns healthy, Chromium that runs, and
`podman stop` draining each role within its limits."""

from __future__ import annotations

import json
import threading
import time

import httpx

from tests.containers.conftest import podman, unique
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
