-- 0001: the whole GhostHands schema of SPEC §3.
-- Applied by `ghosthands migrate` inside one transaction, under an advisory lock.
-- The status list in the CHECK below must equal ghosthands.jobs.states.JobStatus
-- (tests/db/test_schema.py compares them).

CREATE EXTENSION IF NOT EXISTS pgcrypto;  -- gen_random_uuid() on PostgreSQL < 13

CREATE TABLE gh_automation_jobs (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    idempotency_key       text UNIQUE,
    user_id               uuid NOT NULL,
    created_by            text NOT NULL DEFAULT 'api' CHECK (created_by IN ('valet', 'api')),
    job_type              text NOT NULL,
    target_url            text NOT NULL,
    task_description      text NOT NULL DEFAULT '',
    input_data            jsonb NOT NULL DEFAULT '{}'::jsonb,
    priority              int NOT NULL DEFAULT 5 CHECK (priority BETWEEN 1 AND 10),
    scheduled_at          timestamptz,
    max_retries           int NOT NULL DEFAULT 3 CHECK (max_retries BETWEEN 0 AND 10),
    retry_count           int NOT NULL DEFAULT 0,
    timeout_seconds       int NOT NULL DEFAULT 300 CHECK (timeout_seconds BETWEEN 30 AND 1800),
    status                text NOT NULL DEFAULT 'pending' CHECK (status IN (
                              'pending', 'queued', 'running', 'paused', 'awaiting_review',
                              'completed', 'failed', 'cancelled', 'expired')),
    status_message        text,
    started_at            timestamptz,
    completed_at          timestamptz,
    last_heartbeat        timestamptz,
    worker_id             text,
    execution_attempt_id  uuid,
    target_worker_id      text,
    worker_affinity       text NOT NULL DEFAULT 'any'
                              CHECK (worker_affinity IN ('strict', 'preferred', 'any')),
    result_data           jsonb,
    result_summary        text,
    error_code            text,
    error_details         jsonb,
    screenshot_urls       jsonb NOT NULL DEFAULT '[]'::jsonb,
    artifact_urls         jsonb NOT NULL DEFAULT '[]'::jsonb,
    metadata              jsonb NOT NULL DEFAULT '{}'::jsonb,
    tags                  jsonb NOT NULL DEFAULT '[]'::jsonb,
    callback_url          text,
    valet_task_id         text,
    resume_ref            jsonb,
    interaction_type      text,
    interaction_data      jsonb,
    paused_at             timestamptz,
    execution_mode        text,
    final_mode            text,
    llm_cost_cents        numeric(12, 4) NOT NULL DEFAULT 0,
    action_count          int NOT NULL DEFAULT 0,
    total_tokens          bigint NOT NULL DEFAULT 0,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);

-- Claiming: pending jobs in priority, then age, order (scheduled_at checked per row).
CREATE INDEX gh_jobs_claim_idx ON gh_automation_jobs (priority, created_at)
    WHERE status = 'pending';
-- Stale-heartbeat recovery scans only jobs a worker holds.
CREATE INDEX gh_jobs_heartbeat_idx ON gh_automation_jobs (last_heartbeat)
    WHERE status IN ('queued', 'running');
CREATE INDEX gh_jobs_user_created_idx ON gh_automation_jobs (user_id, created_at DESC);
CREATE INDEX gh_jobs_status_idx ON gh_automation_jobs (status);
CREATE INDEX gh_jobs_valet_task_idx ON gh_automation_jobs (valet_task_id);
CREATE INDEX gh_jobs_worker_idx ON gh_automation_jobs (worker_id)
    WHERE status IN ('queued', 'running', 'paused');

CREATE TABLE gh_job_events (
    id          bigserial PRIMARY KEY,
    job_id      uuid NOT NULL REFERENCES gh_automation_jobs (id) ON DELETE CASCADE,
    event_type  text NOT NULL,
    from_status text,
    to_status   text,
    message     text,
    metadata    jsonb NOT NULL DEFAULT '{}'::jsonb,
    actor       text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX gh_job_events_job_idx ON gh_job_events (job_id, id);

-- Keep updated_at honest without every UPDATE having to remember it.
CREATE FUNCTION gh_touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END $$;

CREATE TRIGGER gh_jobs_touch BEFORE UPDATE ON gh_automation_jobs
    FOR EACH ROW EXECUTE FUNCTION gh_touch_updated_at();

-- Every status change writes an event. The actor and message come from the session
-- settings gh.actor / gh.status_message when the writer set them (SET LOCAL).
CREATE FUNCTION gh_record_status_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO gh_job_events (job_id, event_type, from_status, to_status, message, actor)
        VALUES (NEW.id, 'job_created', NULL, NEW.status, NULL,
                coalesce(nullif(current_setting('gh.actor', true), ''), NEW.created_by));
    ELSIF NEW.status IS DISTINCT FROM OLD.status THEN
        INSERT INTO gh_job_events (job_id, event_type, from_status, to_status, message,
                                   actor, metadata)
        VALUES (NEW.id, 'status_changed', OLD.status, NEW.status, NEW.status_message,
                nullif(current_setting('gh.actor', true), ''),
                jsonb_strip_nulls(jsonb_build_object(
                    'worker_id', NEW.worker_id,
                    'execution_attempt_id', NEW.execution_attempt_id,
                    'error_code', NEW.error_code)));
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER gh_jobs_status_event AFTER INSERT OR UPDATE OF status ON gh_automation_jobs
    FOR EACH ROW EXECUTE FUNCTION gh_record_status_change();

-- Wake workers: NOTIFY gh_job_created with {id, job_type, priority}.
CREATE FUNCTION gh_notify_job_created() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('gh_job_created', json_build_object(
        'id', NEW.id, 'job_type', NEW.job_type, 'priority', NEW.priority)::text);
    RETURN NEW;
END $$;

CREATE TRIGGER gh_jobs_notify_created AFTER INSERT ON gh_automation_jobs
    FOR EACH ROW EXECUTE FUNCTION gh_notify_job_created();

-- Every event is announced on gh_job_event: live event streams, cancellation and
-- resumption all listen here instead of polling.
CREATE FUNCTION gh_notify_job_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('gh_job_event', json_build_object(
        'id', NEW.id, 'job_id', NEW.job_id, 'event_type', NEW.event_type,
        'to_status', NEW.to_status)::text);
    RETURN NEW;
END $$;

CREATE TRIGGER gh_job_events_notify AFTER INSERT ON gh_job_events
    FOR EACH ROW EXECUTE FUNCTION gh_notify_job_event();

CREATE TABLE gh_user_credentials (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id         uuid NOT NULL,
    domain          text NOT NULL,
    username_enc    bytea NOT NULL,
    password_enc    bytea NOT NULL,
    key_id          text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, domain)
);

CREATE TABLE gh_browser_sessions (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id         uuid NOT NULL,
    domain          text NOT NULL,
    storage_state_enc bytea NOT NULL,
    key_id          text NOT NULL,
    expires_at      timestamptz,
    last_used_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, domain)
);

CREATE TABLE gh_user_usage (
    user_id         uuid NOT NULL,
    period_start    date NOT NULL,  -- first day of the month (UTC)
    tier            text NOT NULL DEFAULT 'free',
    cost_cents      numeric(14, 4) NOT NULL DEFAULT 0,
    total_tokens    bigint NOT NULL DEFAULT 0,
    job_count       int NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, period_start)
);

CREATE TABLE gh_worker_registry (
    worker_id       text PRIMARY KEY,
    status          text NOT NULL DEFAULT 'active'
                        CHECK (status IN ('active', 'draining', 'offline')),
    host            text NOT NULL,
    pid             int,
    version         text,
    current_jobs    int NOT NULL DEFAULT 0,
    max_jobs        int NOT NULL DEFAULT 0,
    jobs_completed  bigint NOT NULL DEFAULT 0,
    jobs_failed     bigint NOT NULL DEFAULT 0,
    started_at      timestamptz NOT NULL DEFAULT now(),
    last_heartbeat  timestamptz NOT NULL DEFAULT now(),
    metadata        jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX gh_worker_registry_status_idx ON gh_worker_registry (status, last_heartbeat);

CREATE TABLE gh_action_manuals (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    url_pattern     text NOT NULL,
    job_type        text NOT NULL,
    steps           jsonb NOT NULL,
    health_score    real NOT NULL DEFAULT 1.0 CHECK (health_score BETWEEN 0 AND 1),
    success_count   int NOT NULL DEFAULT 0,
    failure_count   int NOT NULL DEFAULT 0,
    last_used_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (url_pattern, job_type)
);

CREATE TABLE gh_artifacts (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    job_id          uuid NOT NULL REFERENCES gh_automation_jobs (id) ON DELETE CASCADE,
    kind            text NOT NULL,          -- screenshot, html, log, ...
    name            text NOT NULL,
    content_type    text NOT NULL,
    size_bytes      int NOT NULL,
    content         bytea,                  -- null when stored outside the database
    storage_url     text,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX gh_artifacts_job_idx ON gh_artifacts (job_id, created_at);

-- Durable callbacks: written in the same transaction as the status they announce.
CREATE TABLE gh_callback_outbox (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    job_id          uuid NOT NULL REFERENCES gh_automation_jobs (id) ON DELETE CASCADE,
    event           text NOT NULL,          -- completed, failed, cancelled, needs_human
    url             text NOT NULL,
    payload         jsonb NOT NULL,
    include_service_key boolean NOT NULL DEFAULT false,
    attempts        int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX gh_callback_outbox_due_idx ON gh_callback_outbox (next_attempt_at)
    WHERE delivered_at IS NULL;
