"""Resumes named by ``storage_path`` / ``s3_key`` come from the object store, and only
from the job's own user's folder; without a store, GH_RESUME_DIR as before."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any, cast

import pytest

from ghosthands.browser.guard import NetworkGuard
from ghosthands.browser.resume import ResumeRef, load_resume
from ghosthands.config import load_settings
from ghosthands.jobs.contract import JobFailure
from ghosthands.jobs.errors import ErrorCode
from ghosthands.storage import Storage
from tests.storage.conftest import s3_client
from tests.storage.fake_supabase import FakeSupabaseStorage, Stored

pytestmark = pytest.mark.anyio

PDF = b"%PDF-1.4\n% resume of Ada Lovelace\n" + b"0" * 2000
#: Only download_url uses the guard; these tests never reach it.
NO_GUARD = cast(NetworkGuard, None)
SETTINGS = load_settings({})


async def test_storage_path_is_read_from_supabase_storage(
    supabase_storage: Storage, supabase_server: tuple[FakeSupabaseStorage, str]
) -> None:
    fake, _ = supabase_server
    user = uuid.uuid4()
    fake.objects[("resumes", f"{user}/Ada Lovelace CV.pdf")] = Stored(PDF, "application/pdf")

    resume = await load_resume(
        ResumeRef(storage_path=f"{user}/Ada Lovelace CV.pdf"),
        SETTINGS,
        NO_GUARD,
        owner=user,
        storage=supabase_storage,
    )

    assert (resume.name, resume.content_type, resume.data) == (
        "Ada Lovelace CV.pdf",
        "application/pdf",
        PDF,
    )
    [(method, path, authorised)] = fake.requests
    assert (method, path, authorised) == (
        "GET",
        f"/storage/v1/object/resumes/{user}/Ada Lovelace CV.pdf",
        True,
    )


async def test_s3_key_in_valets_layout_is_read_from_s3(
    s3_storage: Storage, s3_env: dict[str, str]
) -> None:
    user = uuid.uuid4()
    key = f"resumes/{user}/{uuid.uuid4()}-ada.docx"  # VALET: resumes/<user_id>/<uuid>-<name>
    docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    s3_client(s3_env["GH_S3_ENDPOINT_URL"]).put_object(
        Bucket=s3_env["GH_RESUME_BUCKET"], Key=key, Body=PDF, ContentType=docx
    )

    resume = await load_resume(
        ResumeRef(s3_key=key, file_name="ada-lovelace.docx"),
        SETTINGS,
        NO_GUARD,
        owner=user,
        storage=s3_storage,
    )

    assert (resume.name, resume.content_type, resume.data) == ("ada-lovelace.docx", docx, PDF)


def _refused(exc: pytest.ExceptionInfo[JobFailure]) -> dict[str, Any]:
    assert exc.value.code == ErrorCode.INVALID_INPUT
    assert exc.value.retryable is False
    return exc.value.details


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("{other}/cv.pdf", "not_owned"),  # another user's folder
        ("resumes/{other}/cv.pdf", "not_owned"),  # ... in VALET's layout
        ("{other}/{me}/cv.pdf", "not_owned"),  # my id below another user's folder
        ("{me}", "not_owned"),  # the folder itself, no file
        ("cv.pdf", "not_owned"),  # nobody's folder
        ("{me}/../{other}/cv.pdf", "invalid_key"),
        ("../{other}/cv.pdf", "invalid_key"),
        ("/{me}/cv.pdf", "invalid_key"),
        ("{me}//cv.pdf", "invalid_key"),
        ("{me}\\..\\{other}\\cv.pdf", "invalid_key"),
    ],
)
async def test_keys_outside_the_users_folder_fail_the_job(
    supabase_storage: Storage,
    supabase_server: tuple[FakeSupabaseStorage, str],
    template: str,
    reason: str,
) -> None:
    fake, _ = supabase_server
    me, other = uuid.uuid4(), uuid.uuid4()
    for path in (f"{other}/cv.pdf", f"resumes/{other}/cv.pdf", f"{other}/{me}/cv.pdf", "cv.pdf"):
        fake.objects[("resumes", path)] = Stored(PDF, "application/pdf")
    key = template.format(me=me, other=other)

    for field in ("storage_path", "s3_key"):
        with pytest.raises(JobFailure) as caught:
            await load_resume(
                ResumeRef(**{field: key}), SETTINGS, NO_GUARD, owner=me, storage=supabase_storage
            )
        assert _refused(caught) == {"field": f"resume.{field}", "reason": reason}
        assert caught.value.message.startswith(f"resume.{field} ")
    assert fake.requests == []  # refused before the store was asked


async def test_a_store_key_needs_a_user_to_confine_it_to(supabase_storage: Storage) -> None:
    with pytest.raises(JobFailure) as caught:
        await load_resume(
            ResumeRef(storage_path=f"{uuid.uuid4()}/cv.pdf"),
            SETTINGS,
            NO_GUARD,
            owner=None,
            storage=supabase_storage,
        )
    assert _refused(caught)["reason"] == "no_owner"


async def test_missing_and_oversized_resumes_in_the_store(
    s3_storage: Storage, s3_env: dict[str, str]
) -> None:
    user = uuid.uuid4()
    with pytest.raises(JobFailure) as caught:
        await load_resume(
            ResumeRef(s3_key=f"{user}/nothing-here.pdf"),
            SETTINGS,
            NO_GUARD,
            owner=user,
            storage=s3_storage,
        )
    assert _refused(caught)["reason"] == "not_found"
    assert s3_env["GH_RESUME_BUCKET"] in caught.value.message

    s3_client(s3_env["GH_S3_ENDPOINT_URL"]).put_object(
        Bucket=s3_env["GH_RESUME_BUCKET"], Key=f"{user}/big.pdf", Body=b"%PDF" + b"x" * 4096
    )
    small = load_settings({"GH_RESUME_MAX_BYTES": "2048"})
    with pytest.raises(JobFailure, match="GH_RESUME_MAX_BYTES") as caught:
        await load_resume(
            ResumeRef(s3_key=f"{user}/big.pdf"), small, NO_GUARD, owner=user, storage=s3_storage
        )
    assert caught.value.code == ErrorCode.INVALID_INPUT


async def test_an_unreachable_store_is_a_retryable_network_error(s3_env: dict[str, str]) -> None:
    from ghosthands.storage import open_storage

    env = {**s3_env, "GH_S3_ENDPOINT_URL": "http://127.0.0.1:9", "GH_STORAGE_TIMEOUT_SECONDS": "2"}
    storage = open_storage(load_settings(env))
    assert storage is not None
    user = uuid.uuid4()
    try:
        with pytest.raises(JobFailure) as caught:
            await load_resume(
                ResumeRef(s3_key=f"{user}/cv.pdf"), SETTINGS, NO_GUARD, owner=user, storage=storage
            )
    finally:
        await storage.aclose()
    assert caught.value.code == ErrorCode.NETWORK_ERROR
    assert caught.value.retryable is None  # the code's default: retried


async def test_without_a_store_gh_resume_dir_stays_confined(tmp_path: Path) -> None:
    root = tmp_path / "resumes"
    (root / "ada").mkdir(parents=True)
    (root / "ada" / "cv.pdf").write_bytes(PDF)
    (tmp_path / "secret.pdf").write_bytes(b"%PDF secret")
    os.symlink(tmp_path / "secret.pdf", root / "ada" / "link.pdf")
    settings = load_settings({"GH_RESUME_DIR": str(root)})

    resume = await load_resume(ResumeRef(storage_path="ada/cv.pdf"), settings, NO_GUARD)
    assert (resume.name, resume.data) == ("cv.pdf", PDF)
    for escape in ("../secret.pdf", "ada/link.pdf", "ada/../../secret.pdf"):
        with pytest.raises(JobFailure, match="leaves GH_RESUME_DIR") as caught:
            await load_resume(ResumeRef(s3_key=escape), settings, NO_GUARD)
        assert caught.value.code == ErrorCode.INVALID_INPUT
    with pytest.raises(JobFailure, match="GH_STORAGE_BACKEND"):
        await load_resume(ResumeRef(storage_path="ada/cv.pdf"), SETTINGS, NO_GUARD)


async def test_a_jobs_user_reads_only_their_own_folder_of_gh_resume_dir(tmp_path: Path) -> None:
    mine, theirs = uuid.uuid4(), uuid.uuid4()
    for user in (mine, theirs):
        (tmp_path / str(user)).mkdir()
        (tmp_path / str(user) / "cv.pdf").write_bytes(PDF)
    settings = load_settings({"GH_RESUME_DIR": str(tmp_path)})
    own = ResumeRef(storage_path=f"{mine}/cv.pdf")
    resume = await load_resume(own, settings, NO_GUARD, owner=mine)
    assert resume.data == PDF
    with pytest.raises(JobFailure, match="own folder") as caught:
        other = ResumeRef(storage_path=f"{theirs}/cv.pdf")
        await load_resume(other, settings, NO_GUARD, owner=mine)
    assert caught.value.code == ErrorCode.INVALID_INPUT
