-- Listings: the marketplace publication of a unit or a unit type, with its rental modes and terms,
-- and its moderation. Units and unit types are the inventory module's; they are referred to by id
-- without a foreign key, as one module's tables do not reach into another's.

CREATE TABLE listing (
  id uuid PRIMARY KEY,
  org_id uuid NOT NULL,
  property_id uuid NOT NULL,
  -- What is published: one unit, or any unit of a type (a booking is assigned a free one).
  unit_type_id uuid NOT NULL,
  unit_id uuid,
  title text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
  description text NOT NULL DEFAULT '' CHECK (char_length(description) <= 10000),
  rental_modes text[] NOT NULL CHECK (
    cardinality(rental_modes) BETWEEN 1 AND 3 AND rental_modes <@ ARRAY['daily', 'monthly', 'lease']::text[]
  ),
  currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  -- Minor units of `currency`. The nightly price of daily stays comes from the unit type's rate
  -- plan (the pricing module); monthly stays and leases are priced here.
  monthly_price bigint CHECK (monthly_price > 0),
  lease_rate bigint CHECK (lease_rate > 0),
  security_deposit bigint NOT NULL DEFAULT 0 CHECK (security_deposit >= 0),
  furnishing text NOT NULL DEFAULT 'unfurnished' CHECK (furnishing IN ('unfurnished', 'semi', 'full')),
  amenities text[] NOT NULL DEFAULT '{}',
  min_lease_months integer CHECK (min_lease_months BETWEEN 1 AND 600),
  max_lease_months integer CHECK (max_lease_months BETWEEN 1 AND 600),
  monthly_min_stay_months integer NOT NULL DEFAULT 1 CHECK (monthly_min_stay_months BETWEEN 1 AND 60),
  monthly_max_stay_months integer CHECK (monthly_max_stay_months BETWEEN 1 AND 60),
  monthly_notice_period_days integer NOT NULL DEFAULT 30 CHECK (monthly_notice_period_days BETWEEN 0 AND 365),
  -- A preset (flexible, moderate, firm, strict, non_refundable) or the organization's own policy.
  cancellation_preset text CHECK (cancellation_preset IN ('flexible', 'moderate', 'firm', 'strict', 'non_refundable')),
  cancellation_policy_id uuid,
  auto_accept_daily boolean NOT NULL DEFAULT true,
  auto_accept_monthly boolean NOT NULL DEFAULT false,
  auto_accept_lease boolean NOT NULL DEFAULT false,
  is_active boolean NOT NULL DEFAULT true,
  moderation_status text NOT NULL DEFAULT 'draft' CHECK (moderation_status IN ('draft', 'pending_review', 'approved', 'rejected')),
  moderation_note text CHECK (char_length(moderation_note) <= 2000),
  submitted_at timestamptz,
  reviewed_at timestamptz,
  reviewed_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((cancellation_preset IS NULL) <> (cancellation_policy_id IS NULL)),
  CHECK (NOT ('monthly' = ANY (rental_modes)) OR monthly_price IS NOT NULL),
  CHECK (NOT ('lease' = ANY (rental_modes)) OR lease_rate IS NOT NULL),
  CHECK (min_lease_months IS NULL OR max_lease_months IS NULL OR min_lease_months <= max_lease_months),
  CHECK (monthly_max_stay_months IS NULL OR monthly_min_stay_months <= monthly_max_stay_months),
  UNIQUE (org_id, id)
);
CREATE INDEX listing_by_property_idx ON listing (org_id, property_id);
CREATE INDEX listing_by_unit_type_idx ON listing (org_id, unit_type_id);
SELECT tenure_enable_tenant_isolation('listing');

-- The marketplace's read model: one row per listing that was ever submitted, readable across
-- organizations (anyone browses approved listings; platform admins review pending ones). Written
-- in the same transaction as the listing, never edited on its own.
CREATE TABLE listing_publication (
  listing_id uuid PRIMARY KEY,
  organization_id uuid NOT NULL,
  title text NOT NULL,
  description text NOT NULL,
  category text NOT NULL,
  property_type text NOT NULL,
  rental_modes text[] NOT NULL,
  city text NOT NULL,
  region text,
  country char(2) NOT NULL,
  latitude numeric(9, 6),
  longitude numeric(9, 6),
  currency char(3) NOT NULL,
  -- The lowest nightly price ("from"), the monthly price and the lease rate, in minor units.
  daily_price bigint,
  monthly_price bigint,
  lease_rate bigint,
  security_deposit bigint NOT NULL,
  furnishing text NOT NULL,
  amenities text[] NOT NULL,
  max_occupancy integer NOT NULL,
  images jsonb NOT NULL,
  moderation_status text NOT NULL,
  is_active boolean NOT NULL,
  submitted_at timestamptz,
  updated_at timestamptz NOT NULL,
  search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', coalesce(title, '')), 'A') ||
    setweight(to_tsvector('simple', coalesce(city, '') || ' ' || coalesce(region, '')), 'B') ||
    setweight(to_tsvector('simple', coalesce(description, '')), 'C')
  ) STORED
);
CREATE INDEX listing_publication_public_idx ON listing_publication (city, category) WHERE moderation_status = 'approved' AND is_active;
CREATE INDEX listing_publication_pending_idx ON listing_publication (submitted_at) WHERE moderation_status = 'pending_review';
CREATE INDEX listing_publication_modes_idx ON listing_publication USING gin (rental_modes);
CREATE INDEX listing_publication_search_idx ON listing_publication USING gin (search);
INSERT INTO tenant_isolation_exemption (table_name, reason) VALUES
  ('listing_publication', 'the marketplace read model: approved listings are public and pending ones are reviewed by platform admins across organizations');
