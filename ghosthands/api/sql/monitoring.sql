-- Reads for /monitoring/health (the worker registry is written by workers only).

-- name: ping
-- Round trip to the database.
SELECT 1 AS ok;

-- name: worker_heartbeats
-- Workers not marked offline, newest heartbeat first, with the heartbeat's age on the database clock.
SELECT worker_id, status, host, current_jobs, max_jobs, last_heartbeat,
       extract(epoch FROM now() - last_heartbeat)::float8 AS heartbeat_age_seconds
FROM gh_worker_registry
WHERE status <> 'offline'
ORDER BY last_heartbeat DESC
LIMIT 100;
