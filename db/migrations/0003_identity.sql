-- Identity: accounts, their sessions and rotating refresh tokens, the keys that sign access
-- tokens, and the login attempts that throttle password guessing across every instance.

CREATE TABLE user_account (
  id uuid PRIMARY KEY,
  -- Stored normalised (trimmed, lower case); the unique index on lower(email) is the second wall.
  email text NOT NULL CHECK (email = lower(btrim(email)) AND char_length(email) BETWEEN 3 AND 254),
  display_name text CHECK (char_length(display_name) BETWEEN 1 AND 200),
  password_hash text NOT NULL,
  password_changed_at timestamptz NOT NULL DEFAULT now(),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX user_account_email_key ON user_account (lower(email));

-- One session per login. Its refresh tokens form one family: every token descended from the
-- login by rotation. Ending the session revokes the whole family and its access tokens.
CREATE TABLE auth_session (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES user_account (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_refreshed_at timestamptz,
  ended_at timestamptz,
  end_reason text CHECK (end_reason IN ('logout', 'logout_all', 'password_changed', 'refresh_token_reused')),
  ip text,
  user_agent text,
  CHECK ((ended_at IS NULL) = (end_reason IS NULL))
);
CREATE INDEX auth_session_active_by_user_idx ON auth_session (user_id) WHERE ended_at IS NULL;

-- Opaque refresh tokens, stored only as their SHA-256. A used token points at its successor.
CREATE TABLE auth_refresh_token (
  id uuid PRIMARY KEY,
  session_id uuid NOT NULL REFERENCES auth_session (id) ON DELETE CASCADE,
  token_hash text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  issued_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  -- Deferred: a rotation marks the old token with its successor's id, then inserts the successor.
  replaced_by uuid REFERENCES auth_refresh_token (id) DEFERRABLE INITIALLY DEFERRED,
  revoked_at timestamptz,
  CHECK ((used_at IS NULL) = (replaced_by IS NULL))
);
-- At most one usable refresh token per family, enforced by the database itself.
CREATE UNIQUE INDEX auth_refresh_token_one_usable_idx ON auth_refresh_token (session_id) WHERE used_at IS NULL AND revoked_at IS NULL;

-- Key pairs that sign access tokens; the newest active one signs, older ones verify until retired.
-- The private key is readable by whoever can read this table; see docs/decisions/0011.
CREATE TABLE auth_signing_key (
  kid text PRIMARY KEY,
  algorithm text NOT NULL CHECK (algorithm IN ('EdDSA', 'ES256')),
  public_jwk jsonb NOT NULL,
  private_jwk jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  retires_at timestamptz NOT NULL,
  CHECK (retires_at > created_at)
);
CREATE INDEX auth_signing_key_created_at_idx ON auth_signing_key (created_at DESC);

-- Failed logins, per normalised e-mail (whether or not an account has it) and per IP address.
-- A successful login clears the account's failures from its count; the IP count keeps them.
CREATE TABLE auth_login_failure (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email text NOT NULL,
  ip text NOT NULL,
  failed_at timestamptz NOT NULL DEFAULT now(),
  counts_for_account boolean NOT NULL DEFAULT true
);
CREATE INDEX auth_login_failure_email_idx ON auth_login_failure (email, failed_at) WHERE counts_for_account;
CREATE INDEX auth_login_failure_ip_idx ON auth_login_failure (ip, failed_at);
