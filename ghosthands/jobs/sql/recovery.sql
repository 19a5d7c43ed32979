-- Manual recovery of stuck jobs (`ghosthands jobs recover`). The rule is the worker's:
-- a job a worker holds (queued or running) whose heartbeat is older than the stale limit
-- goes back to pending, with no worker and no execution attempt (so its old runner's
-- fenced writes can no longer land), and the reason kept in error_details.

-- name: find_stale_jobs
-- Held jobs whose heartbeat (or start, if none yet) is older than %(stale_seconds)s.
SELECT id, status, worker_id, last_heartbeat, started_at, retry_count,
       extract(epoch FROM now() - coalesce(last_heartbeat, started_at, updated_at))::int
           AS silent_seconds
FROM gh_automation_jobs
WHERE status IN ('queued', 'running')
  AND coalesce(last_heartbeat, started_at, updated_at)
      < now() - make_interval(secs => %(stale_seconds)s::int)
ORDER BY coalesce(last_heartbeat, started_at, updated_at), id;

-- name: requeue_stale_jobs
-- Put stale held jobs back to pending (rechecked here, not trusted from a listing).
UPDATE gh_automation_jobs
SET status = 'pending',
    worker_id = NULL,
    execution_attempt_id = NULL,
    last_heartbeat = NULL,
    status_message = 'recovered: heartbeat older than ' || %(stale_seconds)s::int || ' s',
    error_details = coalesce(error_details, '{}'::jsonb) || jsonb_build_object(
        'recovered_by', %(actor)s::text,
        'reason', 'stuck_job_recovery',
        'stale_seconds', %(stale_seconds)s::int,
        'previous_status', status,
        'previous_worker_id', worker_id,
        'last_heartbeat', last_heartbeat,
        'recovered_at', now()),
    updated_at = now()
WHERE status IN ('queued', 'running')
  AND coalesce(last_heartbeat, started_at, updated_at)
      < now() - make_interval(secs => %(stale_seconds)s::int)
RETURNING id, error_details->>'previous_status' AS previous_status,
          error_details->>'previous_worker_id' AS previous_worker_id;
