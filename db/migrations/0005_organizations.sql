-- Organizations, the memberships that give users a role in one, the invitations that create
-- memberships, and the organization each session acts in. User ids refer to identity's accounts
-- without a foreign key: a module's tables do not reach into another module's.
--
-- Row-level security: none of these tables is a per-organization business row. They are what
-- decides which organization a caller may act in, so they are read across organizations by their
-- user before any organization is set (my organizations, the role behind a token, the organization
-- a new session starts in, an invitation found by its token). They therefore carry
-- `organization_id`, not the business rows' `org_id`, and are not passed to
-- tenure_enable_tenant_isolation(); the application checks every access to them (a non-member
-- gets 404). Business tables of later modules carry `org_id` and are isolated.

CREATE TABLE organization (
  id uuid PRIMARY KEY,
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
  -- The platform itself: its admins moderate across organizations. Exactly one exists.
  is_platform boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX organization_one_platform_idx ON organization (is_platform) WHERE is_platform;

-- The platform organization, under a fixed id (platformOrganizationId in the organizations module).
INSERT INTO organization (id, name, is_platform) VALUES ('00000000-0000-7000-8000-000000000001', 'Tenure platform', true);

CREATE TABLE membership (
  organization_id uuid NOT NULL REFERENCES organization (id) ON DELETE CASCADE,
  user_id uuid NOT NULL,
  role text NOT NULL CHECK (
    role IN ('super_admin', 'admin', 'manager', 'front_desk', 'housekeeping', 'maintenance', 'viewer', 'owner', 'vendor', 'customer')
  ),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organization_id, user_id)
);
CREATE INDEX membership_by_user_idx ON membership (user_id);

-- Invitations by e-mail. The token is shown once and stored only as its SHA-256.
CREATE TABLE invitation (
  id uuid PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organization (id) ON DELETE CASCADE,
  email text NOT NULL CHECK (email = lower(btrim(email)) AND char_length(email) BETWEEN 3 AND 254),
  role text NOT NULL CHECK (
    role IN ('super_admin', 'admin', 'manager', 'front_desk', 'housekeeping', 'maintenance', 'viewer', 'owner', 'vendor', 'customer')
  ),
  token_hash text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  invited_by uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  accepted_at timestamptz,
  accepted_by uuid,
  CHECK (expires_at > created_at),
  CHECK ((accepted_at IS NULL) = (accepted_by IS NULL))
);
CREATE INDEX invitation_by_org_idx ON invitation (organization_id, created_at DESC);

-- The organization a session acts in: set by a switch, read whenever a token is signed for the
-- session (sign-in, refresh). A new session starts in the organization its user switched to last.
CREATE TABLE acting_organization (
  session_id uuid PRIMARY KEY,
  user_id uuid NOT NULL,
  organization_id uuid NOT NULL REFERENCES organization (id) ON DELETE CASCADE,
  switched_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX acting_organization_by_user_idx ON acting_organization (user_id, switched_at DESC);
