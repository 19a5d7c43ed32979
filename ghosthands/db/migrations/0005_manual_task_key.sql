-- 0005: a recorded manual belongs to a site, a job type AND a task.
-- Two custom jobs on the same site with different task descriptions must not replay
-- each other's steps, so manuals are keyed by (url_pattern, job_type, task_key), where
-- task_key is a hash of the normalised task ('' for job types whose task is implied,
-- such as apply).

ALTER TABLE gh_action_manuals ADD COLUMN task_key text NOT NULL DEFAULT '';
ALTER TABLE gh_action_manuals DROP CONSTRAINT gh_action_manuals_url_pattern_job_type_key;
ALTER TABLE gh_action_manuals
    ADD CONSTRAINT gh_action_manuals_site_task_key UNIQUE (url_pattern, job_type, task_key);
