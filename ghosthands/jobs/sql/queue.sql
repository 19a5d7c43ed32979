-- The worker side of the jobs tables: claim, heartbeat, finish, release, recover,
-- events, artifacts, usage, the worker registry and the callback outbox.
-- Only ghosthands.jobs.queue.JobQueue runs these.
--
-- Fencing: every write a job's runner makes names the job AND its execution attempt id
-- AND requires a status in %(held)s (ghosthands.jobs.states.WORKER_HELD). A runner whose
-- job was recovered, cancelled or re-claimed matches no row, and its write is "fenced".

-- Many rows by id: a statement that writes several jobs by id (heartbeats, group-committed
-- starts and finishes) must find them through the primary key. Its status test is written
-- coalesce(status, '') = ..., which no index serves: otherwise, with statistics that say
-- "few jobs are queued" (true), the planner reads the status indexes, which until the next
-- vacuum still hold an entry for every job that ever was queued (measured: 4-6 ms per
-- statement after 20,000 jobs, growing with the throughput). Probes by primary key stay
-- cheap and mark dead index entries as they go.

-- Actor: the status-change events the trigger writes name their writer from the
-- transaction-local setting gh.actor. A multi-statement transaction sets it first with
-- set_actor; a hot-path statement that runs as its own transaction (autocommit, one
-- round trip) sets it in its FROM list, which is evaluated before any row is updated
-- and so before the AFTER triggers that read it.

-- name: set_actor
-- Name the writer in the status-change events this transaction's trigger writes.
SELECT set_config('gh.actor', %(actor)s, true);

-- name: claim_setup
-- The claim's transaction: name the actor, and read pending jobs in index order. Just
-- after a burst of inserts the table's statistics still say "nearly empty" (until
-- autovacuum analyzes it), and the planner then sorts every pending row to pick the first
-- few: 3-5 ms per claim at 5,000 pending, growing with the backlog. The claim index
-- (priority, user_id, created_at, id) already yields them in claim order. The statements
-- of gh_pick_jobs are planned under these settings too (and kept for the session).
SELECT set_config('gh.actor', %(actor)s, true),
       set_config('enable_sort', 'off', true),
       set_config('enable_bitmapscan', 'off', true);

-- name: upsert_worker
-- Register this worker run, or refresh its heartbeat, status and counters; an operator's draining/offline mark (deregister) is kept, and returned so the worker obeys it.
INSERT INTO gh_worker_registry AS w
    (worker_id, status, host, pid, version, current_jobs, max_jobs, jobs_completed,
     jobs_failed, metadata)
VALUES (%(worker_id)s, %(status)s, %(host)s, %(pid)s, %(version)s, %(current_jobs)s,
        %(max_jobs)s, %(jobs_completed)s, %(jobs_failed)s, %(metadata)s)
ON CONFLICT (worker_id) DO UPDATE SET
    status = CASE
        WHEN EXCLUDED.status = 'active' AND w.status IN ('draining', 'offline')
        THEN w.status ELSE EXCLUDED.status END,
    current_jobs = EXCLUDED.current_jobs,
    max_jobs = EXCLUDED.max_jobs,
    jobs_completed = EXCLUDED.jobs_completed,
    jobs_failed = EXCLUDED.jobs_failed,
    metadata = w.metadata || EXCLUDED.metadata,
    last_heartbeat = now()
RETURNING status;

-- name: claim_jobs
-- Claim up to %(limit)s due pending jobs for one worker, in one statement: best priority
-- first and, within a priority, users in turn, one job each per round, starting after
-- %(after_user)s (the user this worker served last); a user with %(max_running)s jobs
-- queued or running in the fleet (0: no cap) is passed over. gh_pick_jobs (migration
-- 0009) picks and locks them (FOR UPDATE SKIP LOCKED), probe by probe: its comment has
-- the rules, the affinity test and the cap's bound when claims race. turn: the order they
-- were taken in. (A job the function locks that was committed after this statement began
-- is not visible to the UPDATE: it stays pending, for the next claim.)
WITH picked AS (
    SELECT job_id, turn
    FROM gh_pick_jobs(%(limit)s, %(after_user)s, %(max_running)s,
                      %(worker_id)s, %(worker_prefix)s, %(preferred_grace)s)
)
UPDATE gh_automation_jobs j
SET status = 'queued',
    worker_id = %(worker_id)s,
    execution_attempt_id = gen_random_uuid(),
    last_heartbeat = now(),
    status_message = NULL
FROM picked
WHERE j.id = picked.job_id
RETURNING j.id, j.job_type, j.user_id, j.target_url, j.task_description, j.input_data,
          j.timeout_seconds, j.retry_count, j.max_retries, j.execution_attempt_id,
          j.created_by, j.valet_task_id, j.metadata, j.priority, j.created_at,
          j.llm_cost_cents, picked.turn,
          extract(epoch FROM clock_timestamp()
                  - greatest(j.created_at, coalesce(j.scheduled_at, j.created_at)))::float8
              AS waited_seconds;

-- name: mark_running
-- Fenced: claimed jobs start running (one row per job and attempt; group-committed).
-- One statement, its own transaction: the actor is set inside it (see "Actor" above).
UPDATE gh_automation_jobs j
SET status = 'running', started_at = coalesce(j.started_at, now()), last_heartbeat = now(),
    status_message = 'running'
FROM unnest(%(job_ids)s::uuid[], %(attempt_ids)s::uuid[]) AS r(job_id, attempt_id),
     (SELECT set_config('gh.actor', %(actor)s, true)) AS actor
WHERE j.id = ANY(%(job_ids)s::uuid[])
  AND j.id = r.job_id AND j.execution_attempt_id = r.attempt_id
  AND coalesce(j.status, '') = 'queued'  -- by primary key only: see "Many rows" above
RETURNING j.id;

-- name: heartbeat_jobs
-- Fenced: refresh the heartbeat of this worker's jobs; returns the ids still held.
UPDATE gh_automation_jobs j
SET last_heartbeat = now()
FROM unnest(%(job_ids)s::uuid[], %(attempt_ids)s::uuid[]) AS h(job_id, attempt_id)
WHERE j.id = ANY(%(job_ids)s::uuid[])
  AND j.id = h.job_id
  AND j.execution_attempt_id = h.attempt_id
  AND coalesce(j.status, '') = ANY(%(held)s)  -- by primary key only: see "Many rows" above
RETURNING j.id;

-- name: insert_progress
-- Fenced: record a progress event of the running attempt.
INSERT INTO gh_job_events (job_id, event_type, message, metadata, actor)
SELECT id, 'progress', %(message)s, %(metadata)s, %(actor)s
FROM gh_automation_jobs
WHERE id = %(job_id)s AND execution_attempt_id = %(attempt_id)s AND status = ANY(%(held)s)
FOR SHARE
RETURNING id;

-- name: complete_jobs
-- Fenced: handlers succeeded (completed, or awaiting_review when a human should check);
-- one row per job and attempt (group-committed), each user's job count added once.
-- The callback outbox rows are written by trigger in this same transaction. One
-- statement, its own transaction: the actor is set inside it (see "Actor" above).
WITH input AS (
    SELECT *
    FROM unnest(%(job_ids)s::uuid[], %(attempt_ids)s::uuid[], %(statuses)s::text[],
                %(results)s::jsonb[], %(summaries)s::text[], %(final_modes)s::text[],
                %(messages)s::text[], %(tiers)s::text[])
         AS i(job_id, attempt_id, status, result_data, summary, final_mode, message, tier)
), done AS (
    UPDATE gh_automation_jobs j
    SET status = i.status,
        result_data = i.result_data,
        result_summary = i.summary,
        final_mode = coalesce(i.final_mode, j.final_mode),
        status_message = i.message,
        error_code = NULL,
        error_details = NULL,
        completed_at = CASE WHEN i.status = 'completed' THEN now() END,
        last_heartbeat = now()
    FROM input i, (SELECT set_config('gh.actor', %(actor)s, true)) AS actor
    WHERE j.id = ANY(%(job_ids)s::uuid[])
      AND j.id = i.job_id AND j.execution_attempt_id = i.attempt_id
      AND coalesce(j.status, '') = ANY(%(held)s)  -- by primary key only: see "Many rows" above
    RETURNING j.id, j.user_id, i.tier
), counted AS (
    INSERT INTO gh_user_usage AS u (user_id, period_start, tier, job_count)
    -- A new month's row takes a finished job's tier; an existing row keeps its own
    -- (the tier is money's business: accounting.job_tier, never text order).
    SELECT user_id, date_trunc('month', now() AT TIME ZONE 'UTC')::date,
           (array_agg(tier))[1], count(*)
    FROM done
    GROUP BY user_id
    ON CONFLICT (user_id, period_start) DO UPDATE
        SET job_count = u.job_count + EXCLUDED.job_count, updated_at = now()
)
SELECT id FROM done;

-- name: fail_job
-- Fenced: the run failed. Submission evidence sends the job to a human; a retryable
-- failure with retries left goes back to pending after %(delay)s seconds; else failed.
WITH cur AS (
    SELECT id, retry_count, max_retries,
           gh_job_submission_evidence(id, execution_attempt_id) AS submitted
    FROM gh_automation_jobs
    WHERE id = %(job_id)s AND execution_attempt_id = %(attempt_id)s
      AND status = ANY(%(held)s)
    FOR UPDATE
), decided AS (
    SELECT id, submitted,
           CASE WHEN submitted THEN 'awaiting_review'
                WHEN %(retryable)s AND retry_count < max_retries THEN 'pending'
                ELSE 'failed' END AS next_status
    FROM cur
)
UPDATE gh_automation_jobs j
SET status = d.next_status,
    retry_count = j.retry_count + CASE WHEN d.next_status = 'pending' THEN 1 ELSE 0 END,
    scheduled_at = CASE WHEN d.next_status = 'pending'
                        THEN now() + make_interval(secs => %(delay)s)
                        ELSE j.scheduled_at END,
    error_code = %(code)s,
    error_details = %(details)s || jsonb_build_object('submission_evidence', d.submitted),
    status_message = %(message)s,
    completed_at = CASE WHEN d.next_status = 'failed' THEN now() END,
    last_heartbeat = now()
FROM decided d
WHERE j.id = d.id
RETURNING j.id, j.status, j.retry_count, j.scheduled_at;

-- name: cancel_job
-- Fenced: the job is cancelled from inside its run (a human answered "cancel").
UPDATE gh_automation_jobs
SET status = 'cancelled', status_message = %(message)s, completed_at = now(),
    resume_ref = NULL
WHERE id = %(job_id)s AND execution_attempt_id = %(attempt_id)s AND status = ANY(%(held)s)
RETURNING id;

-- name: release_jobs
-- Give a worker's held jobs back at once (drain, abort): pending and claimable now, or
-- awaiting_review when the form may already have been submitted. Not counted as a retry.
-- %(job_ids)s / %(attempt_ids)s restrict it to those attempts; NULL releases all of them.
WITH cur AS (
    SELECT id, gh_job_submission_evidence(id, execution_attempt_id) AS submitted
    FROM gh_automation_jobs
    WHERE worker_id = %(worker_id)s
      AND status = ANY(%(held)s)
      AND (%(job_ids)s::uuid[] IS NULL
           OR (id, execution_attempt_id) IN (
               SELECT * FROM unnest(%(job_ids)s::uuid[], %(attempt_ids)s::uuid[])))
    FOR UPDATE
)
UPDATE gh_automation_jobs j
SET status = CASE WHEN c.submitted THEN 'awaiting_review' ELSE 'pending' END,
    scheduled_at = now(),
    status_message = %(message)s,
    error_details = jsonb_build_object(
        'reason', %(reason)s::text, 'worker_id', j.worker_id,
        'execution_attempt_id', j.execution_attempt_id, 'submission_evidence', c.submitted),
    paused_at = NULL
FROM cur c
WHERE j.id = c.id
RETURNING j.id, j.status;

-- name: try_recovery_lock
-- One worker at a time recovers stale jobs: a transaction-scoped advisory lock.
SELECT pg_try_advisory_xact_lock(%(lock_key)s) AS locked;

-- name: recover_stale_jobs
-- Jobs whose runner stopped heartbeating, handed back by the one rule
-- (gh_handed_back_status, migration 0007): awaiting_review on submission evidence,
-- pending again (counted as a retry, reason in error_details), failed when out of retries.
-- Also what `ghosthands jobs recover` runs (a dry run rolls it back).
WITH stale AS (
    SELECT id, retry_count, max_retries, worker_id, execution_attempt_id, last_heartbeat,
           gh_job_submission_evidence(id, execution_attempt_id) AS submitted
    FROM gh_automation_jobs
    WHERE status = ANY(%(held)s)
      AND coalesce(last_heartbeat, started_at, updated_at)
          < now() - make_interval(secs => %(stale_seconds)s)
    ORDER BY last_heartbeat
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
), decided AS (
    SELECT stale.*,
           gh_handed_back_status(id, execution_attempt_id, retry_count, max_retries)
               AS next_status
    FROM stale
)
UPDATE gh_automation_jobs j
SET status = d.next_status,
    retry_count = j.retry_count + CASE WHEN d.next_status = 'pending' THEN 1 ELSE 0 END,
    scheduled_at = CASE WHEN d.next_status = 'pending' THEN now() ELSE j.scheduled_at END,
    error_code = CASE WHEN d.next_status = 'awaiting_review' THEN j.error_code
                      ELSE %(code)s END,
    error_details = jsonb_build_object(
        'reason', 'stale_heartbeat', 'worker_id', d.worker_id,
        'execution_attempt_id', d.execution_attempt_id,
        'last_heartbeat', d.last_heartbeat, 'recovered_by', %(recovered_by)s::text,
        'submission_evidence', d.submitted),
    status_message = CASE d.next_status
        WHEN 'awaiting_review' THEN 'worker lost after the form may have been submitted'
        WHEN 'pending' THEN 'worker lost; job released for another attempt'
        ELSE 'worker lost and no retries left' END,
    completed_at = CASE WHEN d.next_status = 'failed' THEN now() END,
    paused_at = NULL
FROM decided d
WHERE j.id = d.id
RETURNING j.id, j.status, d.worker_id AS lost_worker_id, d.submitted;

-- name: mark_stale_workers_offline
-- Workers that stopped heartbeating are offline in the registry.
UPDATE gh_worker_registry
SET status = 'offline'
WHERE status <> 'offline'
  AND last_heartbeat < now() - make_interval(secs => %(stale_seconds)s)
RETURNING worker_id;

-- name: save_artifact
-- Fenced: record a file of the job (its bytes, or where an object store keeps them)
-- and list its URL on the job.
WITH job AS (
    UPDATE gh_automation_jobs
    SET screenshot_urls = CASE WHEN %(kind)s = 'screenshot'
                               THEN screenshot_urls || to_jsonb(%(url)s::text)
                               ELSE screenshot_urls END,
        artifact_urls = CASE WHEN %(kind)s <> 'screenshot'
                             THEN artifact_urls || to_jsonb(%(url)s::text)
                             ELSE artifact_urls END
    WHERE id = %(job_id)s AND execution_attempt_id = %(attempt_id)s
      AND status = ANY(%(held)s)
    RETURNING id
)
INSERT INTO gh_artifacts (id, job_id, kind, name, content_type, size_bytes, content,
                          storage_url)
SELECT %(artifact_id)s, id, %(kind)s, %(name)s, %(content_type)s, %(size)s, %(content)s,
       %(storage_url)s
FROM job
RETURNING id;

-- name: artifact_locations
-- Where the object store keeps a job's artifacts (those not stored in the database).
SELECT id, storage_url
FROM gh_artifacts
WHERE job_id = %(job_id)s AND storage_url IS NOT NULL;

-- name: record_llm_usage
-- Fenced: add one model call's price and tokens to the job and, atomically, to the
-- user's usage for the current (UTC) month. Returns both running totals and the tier
-- the month is billed under: a new row takes %(tier)s (accounting.job_tier); an existing
-- row keeps its tier unless the job names one (%(named_tier)s).
WITH job AS (
    UPDATE gh_automation_jobs
    SET llm_cost_cents = llm_cost_cents + %(cost_cents)s,
        total_tokens = total_tokens + %(tokens)s
    WHERE id = %(job_id)s AND execution_attempt_id = %(attempt_id)s
      AND status = ANY(%(held)s)
    RETURNING id, user_id, llm_cost_cents
), usage AS (
    INSERT INTO gh_user_usage AS u (user_id, period_start, tier, cost_cents, total_tokens)
    SELECT user_id, date_trunc('month', now() AT TIME ZONE 'UTC')::date, %(tier)s,
           %(cost_cents)s, %(tokens)s
    FROM job
    ON CONFLICT (user_id, period_start) DO UPDATE
        SET cost_cents = u.cost_cents + EXCLUDED.cost_cents,
            total_tokens = u.total_tokens + EXCLUDED.total_tokens,
            tier = coalesce(%(named_tier)s, u.tier),
            updated_at = now()
    RETURNING cost_cents, tier
)
SELECT job.llm_cost_cents AS job_cost_cents, usage.cost_cents AS month_cost_cents,
       usage.tier AS month_tier
FROM job, usage;

-- name: count_actions
-- Fenced: add browser actions to the job; returns the new count.
UPDATE gh_automation_jobs
SET action_count = action_count + %(n)s
WHERE id = %(job_id)s AND execution_attempt_id = %(attempt_id)s AND status = ANY(%(held)s)
RETURNING action_count;

-- name: pause_job
-- Fenced: the running job waits for a human (the needs_human callback row is written
-- by trigger in this transaction).
UPDATE gh_automation_jobs
SET status = 'paused', interaction_type = %(interaction_type)s,
    interaction_data = %(interaction_data)s, paused_at = now(), resume_ref = NULL,
    status_message = %(message)s, last_heartbeat = now()
WHERE id = %(job_id)s AND execution_attempt_id = %(attempt_id)s AND status = 'running'
RETURNING id;

-- name: take_resume
-- Fenced: when a human has answered, take (and clear) the answer and what it answered; run again.
WITH answered AS (
    SELECT id, resume_ref
    FROM gh_automation_jobs
    WHERE id = %(job_id)s AND execution_attempt_id = %(attempt_id)s
      AND status = 'paused' AND resume_ref IS NOT NULL
    FOR UPDATE
)
UPDATE gh_automation_jobs j
SET status = 'running', resume_ref = NULL, paused_at = NULL, last_heartbeat = now(),
    interaction_type = NULL, interaction_data = NULL,
    status_message = 'resumed by a human'
FROM answered a
WHERE j.id = a.id
RETURNING a.resume_ref;

-- name: job_state
-- The status and attempt of one job (to tell "cancelled" from "recovered" when fenced).
SELECT status, execution_attempt_id, resume_ref IS NOT NULL AS has_resume
FROM gh_automation_jobs
WHERE id = %(job_id)s;

-- name: claim_callbacks
-- Take up to %(limit)s due outbox rows; the lease (next_attempt_at moved ahead) keeps
-- other workers off them while this one delivers, even across its crash.
WITH due AS (
    SELECT id
    FROM gh_callback_outbox
    WHERE delivered_at IS NULL AND given_up_at IS NULL AND next_attempt_at <= now()
    ORDER BY next_attempt_at
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
UPDATE gh_callback_outbox o
SET attempts = o.attempts + 1,
    next_attempt_at = now() + make_interval(secs => %(lease_seconds)s)
FROM due, gh_automation_jobs j
WHERE o.id = due.id AND j.id = o.job_id
RETURNING o.id, o.job_id, j.user_id, o.event, o.url, o.payload, o.include_service_key,
          o.attempts;

-- name: callback_delivered
-- The receiver acknowledged this attempt.
UPDATE gh_callback_outbox
SET delivered_at = now(), last_status_code = %(status_code)s, last_error = NULL
WHERE id = %(id)s AND attempts = %(attempts)s AND delivered_at IS NULL;

-- name: callback_retry_later
-- This attempt failed: try again after %(delay)s seconds.
UPDATE gh_callback_outbox
SET next_attempt_at = now() + make_interval(secs => %(delay)s),
    last_status_code = %(status_code)s, last_error = %(error)s
WHERE id = %(id)s AND attempts = %(attempts)s AND delivered_at IS NULL;

-- name: callback_give_up
-- Stop trying (refused address or too many attempts); the row stays for audit.
UPDATE gh_callback_outbox
SET given_up_at = now(), last_status_code = %(status_code)s, last_error = %(error)s
WHERE id = %(id)s AND attempts = %(attempts)s AND delivered_at IS NULL;
