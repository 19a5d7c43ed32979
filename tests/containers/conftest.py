"""Container tests: the image built with podman, run, stopped, and deployed with the
compose runtime. They take minutes, so they run only when asked:
``GH_CONTAINER_TESTS=1`` (``bin/test-containers`` sets it); otherwise this directory is
not collected at all.

Base images cannot be pulled here, so ``bin/build-base-image`` makes the Containerfile's
base from Debian once. The embedded PostgreSQL listens on loopback only; containers
reach it through a small TCP forwarder on the podman bridge's gateway.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from ghosthands.db.embedded import EmbeddedPostgres

REPO = Path(__file__).resolve().parents[2]
CONF = Path(__file__).resolve().parent / "containers.conf"
IMAGE = "localhost/ghosthands"
#: The podman network the tests' containers use, with a gateway address we know.
NETWORK, SUBNET, GATEWAY = "ghosthands_default", "10.89.77.0/24", "10.89.77.1"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if os.environ.get("GH_CONTAINER_TESTS") != "1" and collection_path.suffix == ".py":
        return True
    return None


def podman(
    *args: str, timeout: float = 600, check: bool = True
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        ["podman", *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(f"podman {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result


@pytest.fixture(scope="session", autouse=True)
def podman_settings() -> None:
    assert shutil.which("podman"), "podman is missing: bin/test-containers installs it"
    os.environ["CONTAINERS_CONF"] = str(CONF)


@pytest.fixture(scope="session")
def images(podman_settings: None, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """v1 built from the Containerfile; v2 the same code as another release; v3 broken."""
    subprocess.run([str(REPO / "bin" / "build-base-image")], check=True, timeout=1200)
    build = ["build", "--format", "docker", "-f", str(REPO / "Containerfile")]
    if CA_BUNDLE.exists():  # builds behind a TLS-intercepting proxy
        build += ["-v", f"{CA_BUNDLE}:/etc/ssl/certs/host-ca.crt:ro"]
        build += ["--build-arg", "PIP_CERT=/etc/ssl/certs/host-ca.crt"]
    podman(*build, "--build-arg", "GH_COMMIT_SHA=v1", "-t", f"{IMAGE}:v1", str(REPO), timeout=1800)
    work = tmp_path_factory.mktemp("images")
    derived = {
        "v2": f"FROM {IMAGE}:v1\nENV GH_COMMIT_SHA=v2\n",
        # A release whose roles exit at start, as a bad build would.
        "v3": f"FROM {IMAGE}:v1\nENV GH_COMMIT_SHA=v3\n"
        'ENTRYPOINT ["sh", "-c", "echo broken >&2; exit 3"]\n',
    }
    for tag, text in derived.items():
        (work / f"Containerfile.{tag}").write_text(text)
        podman(
            "build",
            "--format",
            "docker",
            "-f",
            str(work / f"Containerfile.{tag}"),
            "-t",
            f"{IMAGE}:{tag}",
            str(work),
        )
    return {tag: f"{IMAGE}:{tag}" for tag in ("v1", "v2", "v3")}


@pytest.fixture(scope="session")
def network(podman_settings: None) -> Iterator[str]:
    podman("network", "rm", "-f", NETWORK, check=False)
    podman("network", "create", "--subnet", SUBNET, "--gateway", GATEWAY, NETWORK)
    yield NETWORK
    podman("network", "rm", "-f", NETWORK, check=False)


class Forwarder:
    """Accepts on 0.0.0.0:port and pipes each connection to 127.0.0.1:target."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("0.0.0.0", 0))  # noqa: S104 - containers reach it over the bridge
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                client.close()
                continue
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self._closed = True
        self.sock.close()


@pytest.fixture(scope="session")
def pg_forward(pg_cluster: EmbeddedPostgres) -> Iterator[Forwarder]:
    assert pg_cluster.port is not None
    forwarder = Forwarder(pg_cluster.port)
    yield forwarder
    forwarder.close()


@pytest.fixture
def container_database_url(database_url: str, pg_forward: Forwarder) -> str:
    """The test database as a container on the tests' network reaches it."""
    database = database_url.rsplit("/", 1)[1]
    return f"postgresql://postgres@{GATEWAY}:{pg_forward.port}/{database}"


@pytest.fixture
def containers(podman_settings: None) -> Iterator[list[str]]:
    """Names of containers a test starts; all removed afterwards."""
    names: list[str] = []
    yield names
    for name in names:
        podman("rm", "-f", "-t", "0", name, check=False)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"
