-- 0009: fair claims. Within a priority the claim lets users take turns, one job each per
-- round, and passes over a user who already has GH_MAX_RUNNING_JOBS_PER_USER jobs queued
-- or running anywhere in the fleet: one user's backlog no longer holds back another
-- user's job. claim_jobs (ghosthands/jobs/sql/queue.sql) calls gh_pick_jobs below and
-- updates what it picked.

-- Pending jobs by priority, then user, then age. The claim walks the users of a priority
-- with one probe each (a loose index scan) and takes each user's oldest jobs, never
-- reading the rest of a user's backlog. This replaces 0006's (priority, created_at, id),
-- which nothing else reads.
DROP INDEX gh_jobs_claim_idx;
CREATE INDEX gh_jobs_claim_idx ON gh_automation_jobs (priority, user_id, created_at, id)
    WHERE status = 'pending';

-- A user's jobs holding a worker slot (jobs.states.ACTIVE), counted for the cap. Keyed by
-- job id rather than by status: entries of finished jobs stay in the index until the next
-- vacuum, and with distinct keys a scan marks each dead entry once and skips it from then
-- on (equal keys gather into posting lists whose dead entries are read again on every
-- claim), while inserts spread over the user's range and clear marked entries as pages
-- fill.
CREATE INDEX gh_jobs_user_active_idx ON gh_automation_jobs (user_id, id)
    WHERE status IN ('queued', 'running');

-- Which pending jobs one claim takes, in the order it takes them (turn 1, 2, ...), each
-- locked FOR UPDATE SKIP LOCKED as it is taken; the caller updates them (claim_jobs).
--   Priorities: the best first; a worse one only once the better ones have nothing left
--     for this worker.
--   Turns: within a priority, round after round, one job per user (each user's oldest
--     claimable job first), the users in id order starting after p_after_user (the user
--     the calling worker served last, so its claims go round the users). The last user
--     with jobs left takes the rest of the batch at once.
--   Cap: with p_max_running > 0, a user gets at most p_max_running less their jobs queued
--     or running (counted afresh, each statement here taking its own snapshot) less what
--     this call already took for them at a better priority. Claims running at the same
--     moment do not see each other's picks: each may take the rest of a user's allowance,
--     so the cap can be exceeded by what those concurrent claims took (one batch each at
--     most), until enough of the user's jobs finish.
--   Claimable: due (scheduled_at), and a job aimed at a worker (target_worker_id = this
--     run's id or its prefix) only when 'any', or 'preferred' and the target has not
--     taken it within p_preferred_grace seconds.
-- Why a function: the same walk written as one statement (recursive queries over users
-- and rounds) cost 1.5 ms of planning on every claim, more than the claim itself; the
-- statements here are planned once per session and kept. Each is one probe of an index:
-- the cost follows the users visited and the jobs taken, never the backlog.
CREATE FUNCTION gh_pick_jobs(
    p_limit int, p_after_user uuid, p_max_running int,
    p_worker_id text, p_worker_prefix text, p_preferred_grace float8
) RETURNS TABLE (job_id uuid, job_user_id uuid, turn int)
LANGUAGE plpgsql VOLATILE ROWS 10 AS $$
DECLARE
    v_priority int := 0;
    v_user uuid;
    v_lap int;              -- 0: users after p_after_user; 1: round again up to it
    v_first_round boolean;
    v_allowance int;
    v_k int;                -- the user of this turn in r_*
    v_s int;                -- the same user in v_served / v_taken
    v_open int;             -- users of this priority with jobs and allowance left
    v_take int;
    v_got int;
    v_created timestamptz;
    v_id uuid;
    -- Every user this call took jobs for, and how many (the cap across priorities).
    v_served uuid[] := '{}';
    v_taken int[] := '{}';
    -- This priority's users in turn order: allowance left, and the last job taken.
    r_user uuid[];
    r_left int[];
    r_created timestamptz[];
    r_id uuid[];
BEGIN
    turn := 0;
    IF p_limit <= 0 THEN
        RETURN;
    END IF;
    <<priorities>>
    LOOP
        SELECT j.priority INTO v_priority
        FROM gh_automation_jobs j
        WHERE j.status = 'pending' AND j.priority > v_priority
        ORDER BY j.priority
        LIMIT 1;
        EXIT WHEN NOT FOUND;
        r_user := '{}'; r_left := '{}'; r_created := '{}'; r_id := '{}';
        v_user := p_after_user; v_lap := 0; v_first_round := true; v_k := 0; v_open := 0;
        LOOP
            IF v_first_round THEN
                -- The next user in turn: one probe of the claim index (its own order, so
                -- that no statistics can talk the planner into another index and a sort).
                IF v_lap = 0 THEN
                    SELECT j.user_id INTO v_user
                    FROM gh_automation_jobs j
                    WHERE j.status = 'pending' AND j.priority = v_priority
                      AND j.user_id > v_user
                    ORDER BY j.priority, j.user_id
                    LIMIT 1;
                    IF NOT FOUND THEN
                        v_lap := 1;
                        SELECT j.user_id INTO v_user
                        FROM gh_automation_jobs j
                        WHERE j.status = 'pending' AND j.priority = v_priority
                          AND j.user_id <= p_after_user
                        ORDER BY j.priority, j.user_id
                        LIMIT 1;
                    END IF;
                ELSIF v_user < p_after_user THEN
                    SELECT j.user_id INTO v_user
                    FROM gh_automation_jobs j
                    WHERE j.status = 'pending' AND j.priority = v_priority
                      AND j.user_id > v_user AND j.user_id <= p_after_user
                    ORDER BY j.priority, j.user_id
                    LIMIT 1;
                ELSE
                    v_user := NULL;
                END IF;
                IF v_user IS NULL THEN  -- every user has had a turn: the next rounds
                    v_first_round := false;
                    v_k := 0;
                    CONTINUE;
                END IF;
                v_s := array_position(v_served, v_user);
                v_allowance := p_limit;
                IF p_max_running > 0 THEN
                    SELECT p_max_running - count(*) - coalesce(v_taken[v_s], 0)
                    INTO v_allowance
                    FROM (SELECT 1 FROM gh_automation_jobs a
                          WHERE a.user_id = v_user
                            AND a.status IN ('queued', 'running')  -- jobs.states.ACTIVE
                          LIMIT p_max_running) AS active;
                END IF;
                CONTINUE WHEN v_allowance <= 0;
                IF v_s IS NULL THEN
                    v_served := v_served || v_user;
                    v_taken := v_taken || 0;
                    v_s := cardinality(v_served);
                END IF;
                r_user := r_user || v_user;
                r_left := r_left || v_allowance;
                r_created := r_created || '-infinity'::timestamptz;
                r_id := r_id || '00000000-0000-0000-0000-000000000000'::uuid;
                v_k := cardinality(r_user);
                v_open := v_open + 1;
                v_take := 1;
            ELSE
                EXIT WHEN v_open = 0;
                v_k := v_k % cardinality(r_user) + 1;
                CONTINUE WHEN r_left[v_k] = 0;
                v_s := array_position(v_served, r_user[v_k]);
                v_take := CASE WHEN v_open = 1 THEN least(r_left[v_k], p_limit - turn) ELSE 1 END;
            END IF;
            -- This user's next claimable jobs after the last one taken, locked as taken.
            v_got := 0;
            FOR v_created, v_id IN
                SELECT j.created_at, j.id
                FROM gh_automation_jobs j
                WHERE j.status = 'pending' AND j.priority = v_priority
                  AND j.user_id = r_user[v_k]
                  AND (j.created_at, j.id) > (r_created[v_k], r_id[v_k])
                  AND (j.scheduled_at IS NULL OR j.scheduled_at <= now())
                  AND (j.target_worker_id IS NULL
                       OR j.worker_affinity = 'any'
                       OR j.target_worker_id IN (p_worker_id, p_worker_prefix)
                       OR (j.worker_affinity = 'preferred'
                           AND greatest(j.created_at, coalesce(j.scheduled_at, j.created_at))
                               <= now() - make_interval(secs => p_preferred_grace)))
                ORDER BY j.priority, j.user_id, j.created_at, j.id
                LIMIT v_take
                FOR UPDATE SKIP LOCKED
            LOOP
                turn := turn + 1;
                job_id := v_id;
                job_user_id := r_user[v_k];
                RETURN NEXT;
                v_got := v_got + 1;
                r_created[v_k] := v_created;
                r_id[v_k] := v_id;
            END LOOP;
            v_taken[v_s] := v_taken[v_s] + v_got;
            r_left[v_k] := CASE WHEN v_got < v_take THEN 0 ELSE r_left[v_k] - v_got END;
            IF r_left[v_k] = 0 THEN
                v_open := v_open - 1;
            END IF;
            EXIT priorities WHEN turn >= p_limit;
        END LOOP;
    END LOOP priorities;
END $$;
