-- Rate limiting for user callers (table gh_rate_limits, migration 0003).

-- name: hit
-- Count a request (%(cost)s: one, or a batch's size) in the caller's current fixed window (on the database clock, so every API process agrees) and drop the caller's expired windows.
WITH win AS (
    SELECT to_timestamp(floor(extract(epoch FROM now()) / %(window_seconds)s)
                        * %(window_seconds)s) AS start
), expired AS (
    DELETE FROM gh_rate_limits r
    USING win
    WHERE r.bucket = %(bucket)s AND r.window_start < win.start
)
INSERT INTO gh_rate_limits AS r (bucket, window_start, hits)
SELECT %(bucket)s, win.start, %(cost)s FROM win
ON CONFLICT (bucket, window_start) DO UPDATE SET hits = r.hits + EXCLUDED.hits
RETURNING r.hits,
          extract(epoch FROM r.window_start) + %(window_seconds)s AS reset_at,
          extract(epoch FROM now()) AS now_epoch;
