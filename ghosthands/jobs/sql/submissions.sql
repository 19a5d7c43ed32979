-- Job operations of the HTTP API (owner: ghosthands.jobs.submissions.JobSubmissions).
-- Conventions:
--   %(owner)s is the calling user's id, or NULL for the service caller (who sees every
--   job). A row owned by someone else is indistinguishable from a missing one.
--   resume_ref (may hold encrypted credentials) is never selected for a response.
--   Status changes write gh_job_events through the 0001 trigger; the caller names the
--   actor with set_actor in the same transaction.

-- name: set_actor
-- Name the actor recorded by the status-change trigger for this transaction only (SET LOCAL).
SELECT set_config('gh.actor', %(actor)s, true);

-- name: insert_job
-- Create one job; a repeated idempotency key inserts nothing and returns no row (the unique index decides, also under a race). A user's keys arrive prefixed with user:<id>: (per-caller scope); reads strip it.
INSERT INTO gh_automation_jobs (
    idempotency_key, user_id, created_by, job_type, target_url, task_description,
    input_data, priority, scheduled_at, max_retries, timeout_seconds, metadata, tags,
    callback_url, valet_task_id, target_worker_id, worker_affinity, execution_mode
) VALUES (
    %(idempotency_key)s, %(user_id)s, %(created_by)s, %(job_type)s, %(target_url)s,
    %(task_description)s, %(input_data)s, %(priority)s, %(scheduled_at)s, %(max_retries)s,
    %(timeout_seconds)s, %(metadata)s, %(tags)s, %(callback_url)s, %(valet_task_id)s,
    %(target_worker_id)s, %(worker_affinity)s, %(execution_mode)s
)
ON CONFLICT (idempotency_key) DO NOTHING
RETURNING id, status, created_at;

-- name: count_waiting_jobs
-- How many of a user's jobs wait to run (pending or queued), counted up to %(cap)s only.
SELECT count(*)::int AS n
FROM (
    SELECT 1 FROM gh_automation_jobs
    WHERE user_id = %(user_id)s AND status IN ('pending', 'queued')
    LIMIT %(cap)s
) AS waiting;

-- name: holder_of_idempotency_key
-- The job that already holds an idempotency key, and its owner.
SELECT id, user_id FROM gh_automation_jobs WHERE idempotency_key = %(idempotency_key)s;

-- name: get_job
-- One job as the API shows it, if the caller may see it.
SELECT id, regexp_replace(idempotency_key, '^user:[0-9a-f-]{36}:', '') AS idempotency_key,
       user_id, created_by, job_type, target_url, task_description,
       input_data, priority, scheduled_at, max_retries, retry_count, timeout_seconds,
       status, status_message, started_at, completed_at, last_heartbeat, worker_id,
       target_worker_id, worker_affinity, result_data, result_summary, error_code,
       error_details, screenshot_urls, artifact_urls, metadata, tags, callback_url,
       valet_task_id, interaction_type, interaction_data, paused_at, execution_mode,
       final_mode, llm_cost_cents, action_count, total_tokens, created_at, updated_at
FROM gh_automation_jobs
WHERE id = %(id)s AND (%(owner)s::uuid IS NULL OR user_id = %(owner)s::uuid);

-- name: job_status
-- The current status of a job the caller may see (no row: missing or not theirs).
SELECT id, status FROM gh_automation_jobs
WHERE id = %(id)s AND (%(owner)s::uuid IS NULL OR user_id = %(owner)s::uuid);

-- name: list_jobs
-- One page of the jobs matching the filters, plus the total count (one row with NULL id when the page is empty).
WITH matched AS (
    SELECT id, regexp_replace(idempotency_key, '^user:[0-9a-f-]{36}:', '') AS idempotency_key,
           user_id, created_by, job_type, target_url,
           task_description, input_data, priority, scheduled_at, max_retries, retry_count,
           timeout_seconds, status, status_message, started_at, completed_at,
           last_heartbeat, worker_id, target_worker_id, worker_affinity, result_data,
           result_summary, error_code, error_details, screenshot_urls, artifact_urls,
           metadata, tags, callback_url, valet_task_id, interaction_type, interaction_data,
           paused_at, execution_mode, final_mode, llm_cost_cents, action_count,
           total_tokens, created_at, updated_at
    FROM gh_automation_jobs
    WHERE (%(owner)s::uuid IS NULL OR user_id = %(owner)s::uuid)
      AND (%(user_id)s::uuid IS NULL OR user_id = %(user_id)s::uuid)
      AND (%(statuses)s::text[] IS NULL OR status = ANY (%(statuses)s::text[]))
      AND (%(job_type)s::text IS NULL OR job_type = %(job_type)s::text)
      AND (%(valet_task_id)s::text IS NULL OR valet_task_id = %(valet_task_id)s::text)
      AND (%(tag)s::text IS NULL OR tags ? %(tag)s::text)
)
SELECT page.*, counted.total
FROM (SELECT count(*) AS total FROM matched) AS counted
LEFT JOIN LATERAL (
    SELECT * FROM matched
    ORDER BY
        CASE WHEN %(sort)s = 'created_at' THEN created_at END ASC,
        CASE WHEN %(sort)s = '-created_at' THEN created_at END DESC,
        CASE WHEN %(sort)s = 'updated_at' THEN updated_at END ASC,
        CASE WHEN %(sort)s = '-updated_at' THEN updated_at END DESC,
        CASE WHEN %(sort)s = 'priority' THEN priority END ASC,
        CASE WHEN %(sort)s = '-priority' THEN priority END DESC,
        created_at DESC, id
    LIMIT %(limit)s OFFSET %(offset)s
) AS page ON true;

-- name: cancel_job
-- Cancel a job only if it is still cancellable (one conditional UPDATE: no read-then-write race); the 0002 trigger queues its callback.
UPDATE gh_automation_jobs
SET status = 'cancelled', status_message = %(message)s, completed_at = now(),
    resume_ref = NULL
WHERE id = %(id)s
  AND (%(owner)s::uuid IS NULL OR user_id = %(owner)s::uuid)
  AND status = ANY (%(cancellable)s::text[])
RETURNING id, status, updated_at;

-- name: retry_job
-- Put a failed or cancelled job back to pending (one conditional UPDATE) and wake the workers.
UPDATE gh_automation_jobs
SET status = 'pending', status_message = %(message)s, retry_count = retry_count + 1,
    error_code = NULL, error_details = NULL, result_data = NULL, result_summary = NULL,
    started_at = NULL, completed_at = NULL, last_heartbeat = NULL, worker_id = NULL,
    execution_attempt_id = NULL, scheduled_at = NULL, resume_ref = NULL,
    interaction_type = NULL, interaction_data = NULL, paused_at = NULL
WHERE id = %(id)s
  AND (%(owner)s::uuid IS NULL OR user_id = %(owner)s::uuid)
  AND status = ANY (%(retryable)s::text[])
  -- A cancelled or failed attempt that may have submitted is not run again by a plain
  -- retry: running it could apply twice (the caller must say so: %(force)s).
  AND (%(force)s OR NOT gh_job_submission_evidence(id, execution_attempt_id))
RETURNING id, status, retry_count, updated_at,
          pg_notify('gh_job_created', json_build_object(
              'id', id, 'job_type', job_type, 'priority', priority)::text) AS notified;

-- name: list_events
-- A page of a job's events in order, after an event id (keyset paging).
SELECT id, job_id, event_type, from_status, to_status, message, metadata, actor, created_at
FROM gh_job_events
WHERE job_id = %(job_id)s AND id > %(after_id)s
ORDER BY id
LIMIT %(limit)s;

-- name: latest_progress
-- The newest progress event of a job (what the worker last reported).
SELECT id, message, metadata, created_at
FROM gh_job_events
WHERE job_id = %(job_id)s AND event_type = 'progress'
ORDER BY id DESC
LIMIT 1;

-- name: get_artifact
-- One artifact of a job the caller may see.
SELECT a.id, a.job_id, a.kind, a.name, a.content_type, a.size_bytes, a.content,
       a.storage_url, a.created_at
FROM gh_artifacts a
JOIN gh_automation_jobs j ON j.id = a.job_id
WHERE a.id = %(artifact_id)s AND a.job_id = %(job_id)s
  AND (%(owner)s::uuid IS NULL OR j.user_id = %(owner)s::uuid);

-- name: artifact_locations
-- Where the object store keeps a job's artifacts (those not stored in the database).
SELECT id, storage_url
FROM gh_artifacts
WHERE job_id = %(job_id)s AND storage_url IS NOT NULL;

-- name: request_resume
-- Record a human's answer for a paused job that has none pending yet, and announce it with a resume_requested event (the worker waits on that event).
WITH resumed AS (
    UPDATE gh_automation_jobs
    SET resume_ref = %(resume_ref)s
    WHERE id = %(id)s
      AND (%(owner)s::uuid IS NULL OR user_id = %(owner)s::uuid)
      AND status = 'paused'
      AND resume_ref IS NULL
    RETURNING id, status
), announced AS (
    INSERT INTO gh_job_events (job_id, event_type, message, metadata, actor)
    SELECT id, 'resume_requested', %(message)s, %(event_metadata)s, %(actor)s FROM resumed
    RETURNING id
)
SELECT r.id, r.status, a.id AS event_id FROM resumed r CROSS JOIN announced a;

-- name: job_resume_state
-- Why a resume was refused: the job's status and whether an answer is already pending.
SELECT id, status, resume_ref IS NOT NULL AS resume_pending
FROM gh_automation_jobs
WHERE id = %(id)s AND (%(owner)s::uuid IS NULL OR user_id = %(owner)s::uuid);

-- name: deregister_worker
-- Mark a worker, and the runs named after it (<name>-<12 hex>, as claiming matches names), draining or offline. Offline hands the jobs they held back by the one rule (gh_handed_back_status: awaiting_review on submission evidence, else pending or failed); with %(cancel)s the jobs without evidence fail instead (VALET cancels them). The fencing token is cleared so old runners can write nothing more; the workers are woken.
WITH workers AS (
    UPDATE gh_worker_registry
    SET status = %(status)s,
        current_jobs = CASE WHEN %(status)s = 'offline' THEN 0 ELSE current_jobs END,
        metadata = metadata || jsonb_build_object(
            'deregistered_at', now(), 'deregister_reason', %(reason)s::text)
            || jsonb_strip_nulls(jsonb_build_object(
                'drain_timeout_seconds', %(drain_timeout_seconds)s::int))
    WHERE worker_id = %(name)s::text
       OR (left(worker_id, length(%(name)s::text) + 1) = %(name)s::text || '-'
           AND substr(worker_id, length(%(name)s::text) + 2) ~ '^[0-9a-f]{12}$')
    RETURNING worker_id, status
), decided AS (
    -- The one hand-back rule (migration 0007): evidence of a submission goes to a person,
    -- also when VALET asked for the jobs to be cancelled.
    SELECT j.id,
           %(cancel)s AND NOT gh_job_submission_evidence(j.id, j.execution_attempt_id)
               AS cancelled,
           gh_handed_back_status(j.id, j.execution_attempt_id, j.retry_count,
                                 j.max_retries) AS handed_back
    FROM gh_automation_jobs j, workers w
    WHERE %(status)s = 'offline'
      AND j.worker_id = w.worker_id
      AND j.status = ANY (%(held)s::text[])
    FOR UPDATE OF j
), next AS (
    SELECT id, cancelled,
           CASE WHEN cancelled THEN 'failed' ELSE handed_back END AS next_status
    FROM decided
), released AS (
    UPDATE gh_automation_jobs j
    SET status = n.next_status,
        retry_count = j.retry_count + CASE WHEN n.next_status = 'pending' THEN 1 ELSE 0 END,
        status_message = CASE
            WHEN n.cancelled THEN %(cancel_message)s
            WHEN n.next_status = 'awaiting_review'
                THEN 'worker deregistered after the form may have been submitted'
            WHEN n.next_status = 'failed' THEN 'worker deregistered and no retries left'
            ELSE %(message)s END,
        error_code = CASE WHEN n.cancelled THEN %(cancel_code)s ELSE j.error_code END,
        error_details = CASE WHEN n.cancelled THEN jsonb_build_object(
                'message', %(cancel_message)s::text, 'reason', %(reason)s::text,
                'target_worker_id', %(name)s::text)
            ELSE j.error_details END,
        completed_at = CASE WHEN n.next_status = 'failed' THEN now() END,
        worker_id = NULL, last_heartbeat = NULL,
        -- A job sent to a person keeps its attempt id: its evidence is read by that id.
        execution_attempt_id = CASE WHEN n.next_status = 'awaiting_review'
                                    THEN j.execution_attempt_id END,
        started_at = CASE WHEN n.next_status = 'pending' THEN NULL ELSE j.started_at END,
        resume_ref = NULL, interaction_type = NULL, interaction_data = NULL,
        paused_at = NULL
    FROM next n
    WHERE j.id = n.id
    RETURNING j.id, n.cancelled, pg_notify('gh_job_created', json_build_object(
        'id', j.id, 'job_type', j.job_type, 'priority', j.priority)::text) AS notified
)
SELECT %(name)s::text AS worker_id, %(status)s::text AS status,
       (SELECT array_agg(worker_id ORDER BY worker_id) FROM workers) AS worker_ids,
       coalesce((SELECT array_agg(id ORDER BY id) FROM released), '{}'::uuid[])
           AS released_job_ids,
       coalesce((SELECT array_agg(id ORDER BY id) FROM released WHERE cancelled),
                '{}'::uuid[]) AS cancelled_job_ids
WHERE EXISTS (SELECT 1 FROM workers);

-- name: close_review
-- Close a job a person reviewed (awaiting_review only, one conditional UPDATE): completed when the application went out (the result and metadata say submitted), failed when it did not (the run's error code kept, else %(error_code)s). The 0001 trigger writes the status event, the 0002 trigger the callback.
UPDATE gh_automation_jobs
SET status = CASE WHEN %(submitted)s THEN 'completed' ELSE 'failed' END,
    status_message = %(message)s,
    completed_at = now(),
    result_data = CASE WHEN %(submitted)s
        THEN coalesce(result_data, '{}'::jsonb) || jsonb_build_object(
            'submitted', true,
            'review', %(review)s::jsonb
                || jsonb_strip_nulls(jsonb_build_object('previous_error_code', error_code)))
        ELSE result_data END,
    metadata = CASE WHEN %(submitted)s THEN metadata || '{"submitted": true}'::jsonb
                    ELSE metadata END,
    error_code = CASE WHEN %(submitted)s THEN NULL ELSE coalesce(error_code, %(error_code)s) END,
    error_details = CASE WHEN %(submitted)s THEN NULL
        ELSE coalesce(error_details, '{}'::jsonb) || jsonb_build_object(
            'message', %(message)s::text, 'review', %(review)s::jsonb) END,
    resume_ref = NULL
WHERE id = %(id)s AND status = 'awaiting_review'
RETURNING id, status, retry_count, updated_at;

-- name: list_sessions
-- A user's saved browser sessions, without the encrypted storage state.
SELECT id, user_id, domain, key_id, expires_at, last_used_at, created_at, updated_at
FROM gh_browser_sessions
WHERE user_id = %(user_id)s
ORDER BY domain;

-- name: delete_session
-- Forget one saved browser session of a user, by domain.
DELETE FROM gh_browser_sessions
WHERE user_id = %(user_id)s AND domain = %(domain)s
RETURNING id;

-- name: delete_all_sessions
-- Forget every saved browser session of a user.
DELETE FROM gh_browser_sessions WHERE user_id = %(user_id)s RETURNING id;
