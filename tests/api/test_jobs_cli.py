"""``ghosthands jobs submit|get|list|cancel|retry|watch`` as real processes against a server."""

from __future__ import annotations

import json
import uuid

from tests.api.conftest import SERVICE_SECRET, Api, make_token
from tests.support import GhProcess, clean_env, wait_until


def run(api: Api, *args: str, timeout: float = 30, **env: str) -> tuple[int, str]:
    proc = GhProcess(
        ["jobs", *args],
        clean_env(GH_API_URL=api.base_url, **{"GH_SERVICE_SECRET": SERVICE_SECRET, **env}),
    )
    code = proc.wait(timeout)
    return code, proc.output


def test_submit_get_list_cancel_retry(api: Api) -> None:
    user_id = str(uuid.uuid4())
    code, out = run(
        api,
        "submit",
        "--type",
        "http_check",
        "--target-url",
        "https://example.com/",
        "--user-id",
        user_id,
        "--priority",
        "2",
        "--tag",
        "cli",
        "--input",
        '{"expect_status": 200}',
    )
    assert code == 0, out
    job_id, status = out.split()
    assert status == "pending"
    row = api.sql(
        "SELECT priority, tags, input_data FROM gh_automation_jobs WHERE id = %s", (job_id,)
    )[0]
    assert (row["priority"], row["tags"], row["input_data"]) == (2, ["cli"], {"expect_status": 200})

    code, out = run(api, "get", job_id)
    assert code == 0 and "status  pending" in out and "priority  2" in out
    code, out = run(api, "get", job_id, "--json")
    assert json.loads(out)["id"] == job_id

    code, out = run(api, "list", "--user-id", user_id, "--status", "pending")
    assert code == 0 and job_id in out and "1 of 1 job(s)" in out

    assert run(api, "cancel", job_id) == (0, f"{job_id} cancelled")
    code, out = run(api, "cancel", job_id)
    assert code == 1 and "job_not_cancellable (409)" in out
    code, out = run(api, "retry", job_id)
    assert code == 0 and out == f"{job_id} pending (retry 1)"


def test_submit_reports_bad_fields_before_sending(api: Api) -> None:
    before = api.rows()
    code, out = run(
        api,
        "submit",
        "--type",
        "teleport",
        "--target-url",
        "ftp://x",
        "--user-id",
        str(uuid.uuid4()),
        "--priority",
        "0",
    )
    assert code == 1
    assert "job_type: unknown job type 'teleport'" in out
    assert "target_url: must be an http:// or https:// URL" in out
    assert "priority: Expected `int` >= 1" in out
    assert api.rows() == before


def test_user_token_and_missing_credentials(api: Api) -> None:
    user_id = uuid.uuid4()
    code, out = run(
        api,
        "submit",
        "--type",
        "http_check",
        "--target-url",
        "https://example.com/",
        "--token",
        make_token(user_id),
        GH_SERVICE_SECRET="",
    )
    assert code == 0, out
    job_id = out.split()[0]
    other = make_token(uuid.uuid4())
    code, out = run(api, "get", job_id, "--token", other, GH_SERVICE_SECRET="")
    assert code == 1 and "not_found (404)" in out
    code, out = run(api, "list", GH_SERVICE_SECRET="")
    assert code == 1 and "no credentials" in out


def test_watch_follows_the_job_to_the_end(api: Api) -> None:
    service = api.service()
    job_id = service.post(
        "/api/v1/gh/jobs",
        {
            "job_type": "http_check",
            "target_url": "https://example.com/",
            "user_id": str(uuid.uuid4()),
        },
    ).json()["id"]
    proc = GhProcess(
        ["jobs", "watch", job_id],
        clean_env(GH_API_URL=api.base_url, GH_SERVICE_SECRET=SERVICE_SECRET),
    )
    wait_until(lambda: "job_created" in proc.output, 15, "watch printed the creation")
    api.set_status(job_id, "queued")
    api.set_status(job_id, "running")
    api.sql(
        "INSERT INTO gh_job_events (job_id, event_type, message, metadata) VALUES "
        "(%s, 'progress', 'uploading resume', '{\"step\": \"upload\", \"percent\": 60}')",
        (job_id,),
    )
    wait_until(lambda: "uploading resume" in proc.output, 10, "watch printed progress")
    api.set_status(job_id, "completed")
    assert proc.wait(10) == 0, proc.output
    lines = proc.output.splitlines()
    assert any("pending -> queued" in line for line in lines)
    assert any("progress  upload  60%  uploading resume" in line for line in lines)
    assert lines[-1] == f"job {job_id} completed"


def test_watch_exits_1_for_a_failed_job(api: Api) -> None:
    service = api.service()
    job_id = service.post(
        "/api/v1/gh/jobs",
        {
            "job_type": "http_check",
            "target_url": "https://example.com/",
            "user_id": str(uuid.uuid4()),
        },
    ).json()["id"]
    api.set_status(job_id, "cancelled")
    code, out = run(api, "watch", job_id)
    assert code == 1
    assert out.splitlines()[-1] == f"job {job_id} cancelled"
