-- Customers: the people who rent (hotel guests, marketplace seekers, residents), with or without a
-- login of their own. A merged record keeps pointing at the one it was merged into.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE customer (
  id uuid PRIMARY KEY,
  org_id uuid NOT NULL,
  -- The customer's login, when they book for themselves: a `customer` member sees their own rows.
  user_id uuid,
  first_name text NOT NULL CHECK (char_length(first_name) BETWEEN 1 AND 100),
  last_name text NOT NULL CHECK (char_length(last_name) BETWEEN 1 AND 100),
  email text CHECK (email = lower(btrim(email)) AND char_length(email) BETWEEN 3 AND 254),
  phone text CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
  date_of_birth date,
  nationality char(2) CHECK (nationality ~ '^[A-Z]{2}$'),
  address jsonb CHECK (jsonb_typeof(address) = 'object'),
  notes text CHECK (char_length(notes) <= 4000),
  kyc_status text NOT NULL DEFAULT 'not_started' CHECK (kyc_status IN ('not_started', 'pending', 'verified', 'rejected')),
  blacklisted boolean NOT NULL DEFAULT false,
  blacklist_reason text CHECK (char_length(blacklist_reason) <= 1000),
  blacklisted_at timestamptz,
  merged_into_id uuid,
  merged_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (blacklisted = (blacklisted_at IS NOT NULL)),
  CHECK ((merged_into_id IS NULL) = (merged_at IS NULL)),
  CHECK (merged_into_id <> id),
  UNIQUE (org_id, id),
  FOREIGN KEY (org_id, merged_into_id) REFERENCES customer (org_id, id)
);
CREATE UNIQUE INDEX customer_user_idx ON customer (org_id, user_id) WHERE user_id IS NOT NULL AND merged_into_id IS NULL;
CREATE INDEX customer_email_idx ON customer (org_id, email) WHERE merged_into_id IS NULL;
CREATE INDEX customer_phone_idx ON customer (org_id, phone) WHERE merged_into_id IS NULL;
CREATE INDEX customer_name_trgm_idx ON customer USING gin ((first_name || ' ' || last_name) gin_trgm_ops);
SELECT tenure_enable_tenant_isolation('customer');
