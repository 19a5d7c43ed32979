"""An application through the real product with an S3-compatible object store: the
resume comes from the store (``s3_key``), the screenshots go to it, and the completed
callback's ``screenshot_url`` is a signed link that downloads the final PNG.

``ghosthands serve`` and ``ghosthands work`` processes, real Chromium, the sample
careers site, moto's S3 server and a callback receiver, all on 127.0.0.1.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest

from ghosthands.sample_site import SampleSite
from ghosthands.sample_site.server import SiteServer
from tests.e2e.test_apply_e2e import (
    PNG,
    RESUME,
    SERVICE_SECRET,
    Stack,
    apply_body,
    careers,  # noqa: F401 - fixture
    submit,
    wait_status,
)
from tests.storage.conftest import s3_client, s3_env, s3_server  # noqa: F401 - fixtures
from tests.support import GhProcess, free_port, wait_until
from tests.worker.helpers import Receiver, execute


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.server.close()


def test_apply_with_the_resume_and_screenshots_in_s3(
    gh_process: Callable[..., GhProcess],
    database_url: str,
    careers: tuple[SampleSite, SiteServer],  # noqa: F811
    s3_env: dict[str, str],  # noqa: F811
    receiver: Receiver,
) -> None:
    site, server = careers
    user = uuid.uuid4()
    key = f"resumes/{user}/{uuid.uuid4()}-ada-lovelace-resume.pdf"  # VALET's layout
    s3 = s3_client(s3_env["GH_S3_ENDPOINT_URL"])
    s3.put_object(
        Bucket=s3_env["GH_RESUME_BUCKET"], Key=key, Body=RESUME, ContentType="application/pdf"
    )

    port = free_port()
    common = {
        "DATABASE_URL": database_url,
        "GH_SERVICE_SECRET": SERVICE_SECRET,
        "GH_ALLOW_PRIVATE_NETWORKS": "true",  # the site and the receiver are on 127.0.0.1
        **s3_env,
    }
    api = gh_process("serve", **common, GH_API_PORT=str(port))
    worker = gh_process(
        "work",
        **common,
        GH_WORKER_PORT="0",
        GH_POLL_SECONDS="0.5",
        GH_BROWSER_HEADLESS="true",
        GH_BROWSER_TIMEOUT_SECONDS="15",
        GH_WORKER_DRAIN_SECONDS="5",
        GH_CALLBACK_BACKOFF_SECONDS="0.2",
    )
    api.wait_event("role_ready", timeout=30)
    worker.wait_event("role_ready", timeout=30)
    with httpx.Client(
        base_url=f"http://127.0.0.1:{port}", headers={"X-GH-Service-Key": SERVICE_SECRET}
    ) as client:
        stack = Stack(client, worker)
        body = apply_body(
            server,
            "wizard",
            user_id=str(user),
            resume={"s3_key": key, "file_name": "ada-lovelace-resume.pdf"},
            callback_url=receiver.url,
        )
        job_id = submit(stack, body)
        status = wait_status(stack, job_id, "completed")

        [received] = site.received("wizard")
        assert received.files["resume"].data == RESUME  # read from the S3 store
        assert received.files["resume"].filename == "ada-lovelace-resume.pdf"

        wait_until(lambda: receiver.accepted, 15, "the completed callback delivered")
        callback = receiver.accepted[0]["json"]
        assert callback["event"] == "completed"
        shot_url = callback["screenshot_url"]
        endpoint, bucket = s3_env["GH_S3_ENDPOINT_URL"], s3_env["GH_S3_BUCKET"]
        assert shot_url.startswith(f"{endpoint}/{bucket}/{user}/{job_id}/")
        assert "X-Amz-Signature=" in shot_url and "X-Amz-Expires=600" in shot_url
        shot = httpx.get(shot_url)  # no credentials: the signature is the grant
        assert shot.status_code == 200
        assert shot.headers["content-type"] == "image/png"
        assert shot.content.startswith(PNG) and len(shot.content) > 5000

        # The API's answer links to the same object, signed afresh.
        [api_shot] = status["result"]["screenshot_urls"]
        assert api_shot.startswith(f"{endpoint}/{bucket}/{user}/{job_id}/")
        assert httpx.get(api_shot).content == shot.content

    # PostgreSQL holds where the screenshot is, not its bytes.
    rows = execute(
        database_url,
        "SELECT content, storage_url, size_bytes FROM gh_artifacts WHERE job_id = %s",
        [job_id],
    )
    assert rows and all(r["content"] is None for r in rows)
    assert all(r["storage_url"].startswith(f"s3://{bucket}/{user}/{job_id}/") for r in rows)
    assert sum(r["size_bytes"] for r in rows) >= len(shot.content)
