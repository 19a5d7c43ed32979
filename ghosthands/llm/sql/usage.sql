-- Month-to-date LLM usage per user (gh_user_usage), for the pre-flight budget check.
-- The row is written by the worker as each call is recorded; this file only reads it.

-- name: month_usage
-- The user's usage row for the current UTC month, if any.
SELECT tier, cost_cents, total_tokens, job_count
FROM gh_user_usage
WHERE user_id = %(user_id)s
  AND period_start = date_trunc('month', now() AT TIME ZONE 'UTC')::date;
