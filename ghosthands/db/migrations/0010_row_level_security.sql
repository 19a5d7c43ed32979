-- 0010: on a shared Supabase database, PostgREST serves every table of the schema to the
-- `anon` and `authenticated` roles (the browser's and a signed-in user's), and Supabase
-- grants them all privileges on new tables by default. Nothing of GhostHands is theirs to
-- read: every gh_* table gets row-level security, with one policy that admits every role
-- but those two, and their grants are revoked where the roles exist. The service's own
-- role (owner or not) is unaffected. A later migration that adds a gh_* table must do the
-- same (tests/db/test_row_level_security.py fails otherwise).
DO $$
DECLARE
    t record;
    api_role text;
BEGIN
    FOR t IN
        SELECT c.relname
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
          AND c.relname LIKE 'gh\_%'
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t.relname);
        EXECUTE format(
            'CREATE POLICY gh_not_through_the_data_api ON %I AS PERMISSIVE FOR ALL TO PUBLIC '
            'USING (current_user NOT IN (''anon'', ''authenticated'')) '
            'WITH CHECK (current_user NOT IN (''anon'', ''authenticated''))',
            t.relname
        );
        FOREACH api_role IN ARRAY ARRAY['anon', 'authenticated'] LOOP
            IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = api_role) THEN
                EXECUTE format('REVOKE ALL ON TABLE %I FROM %I', t.relname, api_role);
            END IF;
        END LOOP;
    END LOOP;
END
$$;
