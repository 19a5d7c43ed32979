-- Reads for /monitoring/health (the worker registry is written by workers only).

-- name: ping
-- Round trip to the database.
SELECT 1 AS ok;

-- name: schema_version
-- The newest migration applied to this database (0 before the first).
SELECT coalesce(max(version), 0)::int AS version FROM gh_schema_migrations;

-- name: worker_heartbeats
-- Workers not marked offline, newest heartbeat first, with the heartbeat's age on the database clock.
SELECT worker_id, status, host, current_jobs, max_jobs, last_heartbeat,
       extract(epoch FROM now() - last_heartbeat)::float8 AS heartbeat_age_seconds
FROM gh_worker_registry
WHERE status <> 'offline'
ORDER BY last_heartbeat DESC
LIMIT 100;

-- name: job_status_counts
-- Jobs per status, with the age of the oldest due pending job (for queue-depth gauges).
SELECT status, count(*)::int AS jobs,
       coalesce(max(extract(epoch FROM now() - greatest(created_at,
                    coalesce(scheduled_at, created_at))))
                FILTER (WHERE status = 'pending'
                        AND (scheduled_at IS NULL OR scheduled_at <= now())), 0)::float8
           AS oldest_due_seconds
FROM gh_automation_jobs
GROUP BY status;

-- name: today_totals
-- Model spend of jobs created today (UTC) and how today's finished jobs ended.
SELECT coalesce(sum(llm_cost_cents), 0)::float8 AS cost_cents,
       count(*) FILTER (WHERE status = 'completed')::int AS completed,
       count(*) FILTER (WHERE status = 'failed')::int AS failed
FROM gh_automation_jobs
WHERE created_at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';

-- name: recent_failures_by_code
-- Jobs that failed for good in the last 24 hours, per error code, most frequent first.
SELECT coalesce(error_code, 'unknown') AS error_code, count(*)::int AS jobs
FROM gh_automation_jobs
WHERE status = 'failed' AND completed_at >= now() - interval '24 hours'
GROUP BY 1
ORDER BY jobs DESC, error_code
LIMIT 50;
