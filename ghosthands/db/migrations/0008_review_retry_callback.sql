-- 0008: a job a person sends back from awaiting_review to pending (POST /valet/review,
-- outcome retry) is announced to VALET like the review's other two exits (completed,
-- failed): one more case of the one outbox trigger of 0002, event 'retried'. Every other
-- move to pending (a worker's own retry, recovery, the jobs API's retry) stays silent,
-- as before. Everything else is 0002's function unchanged.
CREATE OR REPLACE FUNCTION gh_enqueue_callback() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_event text;
BEGIN
    IF NEW.callback_url IS NULL OR NEW.callback_url = ''
       OR NEW.status IS NOT DISTINCT FROM OLD.status THEN
        RETURN NEW;
    END IF;
    v_event := CASE
        WHEN NEW.status = 'completed' THEN 'completed'
        WHEN NEW.status = 'failed' THEN 'failed'
        WHEN NEW.status = 'cancelled' THEN 'cancelled'
        WHEN NEW.status = 'paused' THEN 'needs_human'
        WHEN NEW.status = 'awaiting_review' THEN 'needs_human'
        WHEN NEW.status = 'pending' AND OLD.status = 'awaiting_review' THEN 'retried'
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
