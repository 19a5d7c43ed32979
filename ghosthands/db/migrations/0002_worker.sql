-- 0002: what the worker needs beyond 0001: the one definition of "this job's form was
-- probably already submitted", the callback outbox written by trigger in the same
-- transaction as the status it announces, and indexes for claiming and the outbox.

-- Submission evidence: re-running such a job could apply twice, so recovery and retries
-- hand it to a human (awaiting_review) instead. Evidence is a progress event of the
-- job's current execution attempt whose step is in ghosthands.jobs.states.SUBMISSION_STEPS
-- (tests/db compare them), or metadata.submitted = true on the job.
CREATE FUNCTION gh_job_submission_evidence(p_job_id uuid, p_attempt uuid)
RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (
        SELECT 1 FROM gh_automation_jobs j
        WHERE j.id = p_job_id AND coalesce(j.metadata ->> 'submitted', '') = 'true'
    ) OR EXISTS (
        SELECT 1 FROM gh_job_events e
        WHERE e.job_id = p_job_id
          AND e.event_type = 'progress'
          AND e.metadata ->> 'step' IN ('submitting', 'submitted')
          AND e.metadata ->> 'execution_attempt_id' = p_attempt::text
    )
$$;

CREATE INDEX gh_job_events_progress_idx ON gh_job_events (job_id)
    WHERE event_type = 'progress' AND metadata ->> 'step' IN ('submitting', 'submitted');

-- A job aimed at one worker (or a worker-id prefix) by affinity.
CREATE INDEX gh_jobs_target_worker_idx ON gh_automation_jobs (target_worker_id)
    WHERE status = 'pending' AND target_worker_id IS NOT NULL;

-- A row the sender gave up on (refused address, too many attempts) stays for audit.
ALTER TABLE gh_callback_outbox ADD COLUMN given_up_at timestamptz;
ALTER TABLE gh_callback_outbox ADD COLUMN last_status_code int;
DROP INDEX gh_callback_outbox_due_idx;
CREATE INDEX gh_callback_outbox_due_idx ON gh_callback_outbox (next_attempt_at)
    WHERE delivered_at IS NULL AND given_up_at IS NULL;
CREATE INDEX gh_callback_outbox_job_idx ON gh_callback_outbox (job_id, created_at);

-- Every status change that VALET must hear about puts one row in the outbox, in the
-- writer's own transaction, whoever the writer is (worker finishing or pausing a job, the
-- API cancelling one). The payload is a snapshot of the row at that moment, so retries
-- send the same body; ghosthands.callbacks.payload turns it into the callback Struct.
CREATE FUNCTION gh_enqueue_callback() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_event text;
BEGIN
    IF NEW.callback_url IS NULL OR NEW.callback_url = ''
       OR NEW.status IS NOT DISTINCT FROM OLD.status THEN
        RETURN NEW;
    END IF;
    v_event := CASE NEW.status
        WHEN 'completed' THEN 'completed'
        WHEN 'failed' THEN 'failed'
        WHEN 'cancelled' THEN 'cancelled'
        WHEN 'paused' THEN 'needs_human'
        WHEN 'awaiting_review' THEN 'needs_human'
    END;
    IF v_event IS NULL THEN
        RETURN NEW;
    END IF;
    INSERT INTO gh_callback_outbox (job_id, event, url, payload, include_service_key)
    VALUES (
        NEW.id, v_event, NEW.callback_url,
        jsonb_build_object(
            'job_id', NEW.id,
            'valet_task_id', NEW.valet_task_id,
            'status', NEW.status,
            'result_data', NEW.result_data,
            'result_summary', NEW.result_summary,
            'screenshot_urls', NEW.screenshot_urls,
            'error_code', NEW.error_code,
            'error_details', NEW.error_details,
            'status_message', NEW.status_message,
            'llm_cost_cents', NEW.llm_cost_cents,
            'action_count', NEW.action_count,
            'total_tokens', NEW.total_tokens,
            'completed_at', NEW.completed_at,
            'interaction_type', NEW.interaction_type,
            'interaction_data', NEW.interaction_data
        ),
        NEW.created_by = 'valet'
    );
    RETURN NEW;
END $$;

CREATE TRIGGER gh_jobs_enqueue_callback AFTER UPDATE OF status ON gh_automation_jobs
    FOR EACH ROW EXECUTE FUNCTION gh_enqueue_callback();
