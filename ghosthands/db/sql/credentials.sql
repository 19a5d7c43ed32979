-- Encrypted site logins (gh_user_credentials) and saved browser sessions
-- (gh_browser_sessions). Values are KeyRing envelopes; key_id names the sealing key.

-- name: get_credentials
-- The encrypted login of one user on one domain.
SELECT username_enc, password_enc, key_id
FROM gh_user_credentials
WHERE user_id = %(user_id)s AND domain = %(domain)s;

-- name: upsert_credentials
-- Store (or replace) one user's encrypted login for a domain.
INSERT INTO gh_user_credentials (user_id, domain, username_enc, password_enc, key_id)
VALUES (%(user_id)s, %(domain)s, %(username_enc)s, %(password_enc)s, %(key_id)s)
ON CONFLICT (user_id, domain) DO UPDATE
SET username_enc = EXCLUDED.username_enc, password_enc = EXCLUDED.password_enc,
    key_id = EXCLUDED.key_id, updated_at = now();

-- name: get_session
-- The encrypted Playwright storage state of one user on one domain, if not expired.
SELECT storage_state_enc, key_id
FROM gh_browser_sessions
WHERE user_id = %(user_id)s AND domain = %(domain)s
  AND (expires_at IS NULL OR expires_at > now());

-- name: touch_session
-- Note that a saved session was used.
UPDATE gh_browser_sessions SET last_used_at = now()
WHERE user_id = %(user_id)s AND domain = %(domain)s;

-- name: upsert_session
-- Store (or replace) one user's encrypted storage state for a domain.
INSERT INTO gh_browser_sessions (user_id, domain, storage_state_enc, key_id, expires_at, last_used_at)
VALUES (%(user_id)s, %(domain)s, %(storage_state_enc)s, %(key_id)s, %(expires_at)s, now())
ON CONFLICT (user_id, domain) DO UPDATE
SET storage_state_enc = EXCLUDED.storage_state_enc, key_id = EXCLUDED.key_id,
    expires_at = EXCLUDED.expires_at, last_used_at = now(), updated_at = now();

-- name: credentials_to_rotate
-- A batch of credential rows not sealed with the primary key, locked for re-encryption.
SELECT id, user_id, domain, username_enc, password_enc
FROM gh_user_credentials
WHERE key_id <> %(primary_key_id)s AND id > %(after)s
ORDER BY id
LIMIT %(limit)s
FOR UPDATE SKIP LOCKED;

-- name: rotate_credentials_row
-- Replace one credential row's ciphertexts with ones sealed under the primary key.
UPDATE gh_user_credentials
SET username_enc = %(username_enc)s, password_enc = %(password_enc)s, key_id = %(key_id)s,
    updated_at = now()
WHERE id = %(id)s;

-- name: sessions_to_rotate
-- A batch of saved-session rows not sealed with the primary key, locked for re-encryption.
SELECT id, user_id, domain, storage_state_enc
FROM gh_browser_sessions
WHERE key_id <> %(primary_key_id)s AND id > %(after)s
ORDER BY id
LIMIT %(limit)s
FOR UPDATE SKIP LOCKED;

-- name: rotate_session_row
-- Replace one saved session's ciphertext with one sealed under the primary key.
UPDATE gh_browser_sessions
SET storage_state_enc = %(storage_state_enc)s, key_id = %(key_id)s, updated_at = now()
WHERE id = %(id)s;
