-- 0007: one rule for every path that hands a held job back without its runner (stale
-- heartbeat, a worker deregistered offline, an operator's `jobs recover --apply`):
-- submission evidence sends it to a person (awaiting_review), never back to pending;
-- otherwise it is another attempt while retries remain, else failed. The worker's
-- recovery, the API's deregistration and the manual recovery all call this function.
CREATE FUNCTION gh_handed_back_status(
    p_job_id uuid, p_attempt uuid, p_retry_count int, p_max_retries int
) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN gh_job_submission_evidence(p_job_id, p_attempt) THEN 'awaiting_review'
        WHEN p_retry_count < p_max_retries THEN 'pending'
        ELSE 'failed'
    END
$$;
