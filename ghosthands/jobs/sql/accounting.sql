-- Money: what a user has spent this month (gh_user_usage). The rows are written by the
-- worker's fenced usage statement (queue.sql: record_llm_usage); this file only reads.

-- name: month_usage
-- A user's month-to-date usage row (UTC month), if any job of theirs has been metered.
SELECT user_id, period_start, tier, cost_cents, total_tokens, job_count, updated_at
FROM gh_user_usage
WHERE user_id = %(user_id)s
  AND period_start = date_trunc('month', now() AT TIME ZONE 'UTC')::date;
