-- Recorded manuals (gh_action_manuals): replayable step lists per site and task.
-- Health is an exponential moving average of replay outcomes (weight 0.2): a replay
-- that completes pulls it towards 1, a mismatch towards 0.

-- name: find_manual
-- The manual for a site pattern, job type and task, if one was recorded.
SELECT id, url_pattern, job_type, task_key, steps, health_score, success_count,
       failure_count, last_used_at
FROM gh_action_manuals
WHERE url_pattern = %(url_pattern)s AND job_type = %(job_type)s AND task_key = %(task_key)s;

-- name: save_manual
-- Store the steps of a successful run, replacing older steps for the same key.
INSERT INTO gh_action_manuals (url_pattern, job_type, task_key, steps, health_score,
                               success_count, last_used_at)
VALUES (%(url_pattern)s, %(job_type)s, %(task_key)s, %(steps)s, 1.0, 1, now())
ON CONFLICT (url_pattern, job_type, task_key) DO UPDATE
SET steps = EXCLUDED.steps,
    health_score = least(1.0, gh_action_manuals.health_score * 0.8 + 0.2),
    success_count = gh_action_manuals.success_count + 1,
    last_used_at = now(),
    updated_at = now()
RETURNING id, health_score;

-- name: replay_succeeded
-- A replay ran to the end: health up, one more success.
UPDATE gh_action_manuals
SET health_score = least(1.0, health_score * 0.8 + 0.2),
    success_count = success_count + 1,
    last_used_at = now(),
    updated_at = now()
WHERE id = %(id)s
RETURNING health_score;

-- name: replay_failed
-- A replay hit a step that no longer matches the site: health down, one more failure.
UPDATE gh_action_manuals
SET health_score = greatest(0.0, health_score * 0.8),
    failure_count = failure_count + 1,
    last_used_at = now(),
    updated_at = now()
WHERE id = %(id)s
RETURNING health_score;
