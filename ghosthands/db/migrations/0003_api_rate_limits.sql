-- 0003: per-user API rate limits, shared by every API process through PostgreSQL.
-- One row per caller and fixed window; a request increments its window's row in one
-- statement (INSERT ... ON CONFLICT DO UPDATE), so N API processes count together.
-- UNLOGGED: counters are worthless after a crash and need no WAL.

CREATE UNLOGGED TABLE gh_rate_limits (
    bucket        text NOT NULL,          -- 'user:<uuid>'
    window_start  timestamptz NOT NULL,
    hits          int NOT NULL DEFAULT 0,
    PRIMARY KEY (bucket, window_start)
);
