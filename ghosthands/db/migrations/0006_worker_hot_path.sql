-- 0006: the worker's hot path: claims that use their index to the end, and workers
-- that hear what they act on rather than every event of the fleet.

-- The claim orders by (priority, created_at, id), but the index stopped at created_at:
-- jobs created in one transaction share created_at (now()), so every claim sorted all
-- of them again (a batch of 5,000 pending jobs: ~3 ms per claim). With id in the index
-- the claim reads its rows in order and stops at its limit.
DROP INDEX gh_jobs_claim_idx;
CREATE INDEX gh_jobs_claim_idx ON gh_automation_jobs (priority, created_at, id)
    WHERE status = 'pending';

-- Workers LISTENed on gh_job_event, which announces every event of every job: each
-- worker parsed every other worker's status changes, and woke its callback sender on
-- each, whether or not the job had a callback URL. Now:
--   gh_job_control      the events a worker acts on: a job cancelled, a job back to
--                       pending (a retry or a release: something to claim; new jobs
--                       are announced on gh_job_created), a human's answer to a paused
--                       job (resume_requested). Same payload as gh_job_event, which
--                       stays as it was for live event streams.
--   gh_callback_queued  a callback is waiting in the outbox (no payload: the sender
--                       takes due rows from the table). Notifications with the same
--                       payload in one transaction are delivered once.

CREATE OR REPLACE FUNCTION gh_notify_job_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_payload text := json_build_object(
        'id', NEW.id, 'job_id', NEW.job_id, 'event_type', NEW.event_type,
        'to_status', NEW.to_status)::text;
BEGIN
    PERFORM pg_notify('gh_job_event', v_payload);
    IF NEW.event_type = 'resume_requested'
       OR (NEW.event_type = 'status_changed' AND NEW.to_status IN ('cancelled', 'pending')) THEN
        PERFORM pg_notify('gh_job_control', v_payload);
    END IF;
    RETURN NEW;
END $$;

CREATE FUNCTION gh_notify_callback_queued() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('gh_callback_queued', '');
    RETURN NEW;
END $$;

CREATE TRIGGER gh_callback_outbox_notify AFTER INSERT ON gh_callback_outbox
    FOR EACH ROW EXECUTE FUNCTION gh_notify_callback_queued();
