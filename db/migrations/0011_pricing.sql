-- Pricing: rate plans per unit type (base, weekday and seasonal nightly prices, fees and
-- length-of-stay discounts), per-day prices and restrictions, the property's taxes, and the
-- organization's own cancellation policies. Amounts are minor units of the plan's currency;
-- percentages are basis points (1% = 100). Unit types and properties are the inventory module's,
-- referred to by id.

CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE rate_plan (
  id uuid PRIMARY KEY,
  org_id uuid NOT NULL,
  property_id uuid NOT NULL,
  unit_type_id uuid NOT NULL,
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  code text NOT NULL CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]{0,15}$'),
  -- The plan a daily booking of the unit type is priced with unless another is named.
  is_default boolean NOT NULL DEFAULT false,
  currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  base_price bigint NOT NULL CHECK (base_price >= 0),
  -- { "fri": 15000, "sat": 15000 }: a weekday's price replaces the base price on that weekday.
  weekday_prices jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(weekday_prices) = 'object'),
  cleaning_fee bigint NOT NULL DEFAULT 0 CHECK (cleaning_fee >= 0),
  -- Per night for each guest beyond `guests_included`.
  extra_guest_fee bigint NOT NULL DEFAULT 0 CHECK (extra_guest_fee >= 0),
  guests_included integer NOT NULL DEFAULT 2 CHECK (guests_included >= 1),
  service_fee_bps integer NOT NULL DEFAULT 0 CHECK (service_fee_bps BETWEEN 0 AND 10000),
  weekly_discount_bps integer NOT NULL DEFAULT 0 CHECK (weekly_discount_bps BETWEEN 0 AND 10000),
  monthly_discount_bps integer NOT NULL DEFAULT 0 CHECK (monthly_discount_bps BETWEEN 0 AND 10000),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, id),
  UNIQUE (unit_type_id, code)
);
CREATE UNIQUE INDEX rate_plan_one_default_idx ON rate_plan (unit_type_id) WHERE is_default;
SELECT tenure_enable_tenant_isolation('rate_plan');

-- A season replaces the base (and weekday) prices over a range of nights; seasons of one plan
-- never overlap.
CREATE TABLE rate_season (
  id uuid PRIMARY KEY,
  org_id uuid NOT NULL,
  rate_plan_id uuid NOT NULL,
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  -- Half-open: the nights from lower up to, not including, upper.
  nights daterange NOT NULL CHECK (NOT isempty(nights) AND lower_inc(nights) AND NOT upper_inc(nights) AND NOT lower_inf(nights) AND NOT upper_inf(nights)),
  price bigint NOT NULL CHECK (price >= 0),
  weekday_prices jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(weekday_prices) = 'object'),
  created_at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (org_id, rate_plan_id) REFERENCES rate_plan (org_id, id) ON DELETE CASCADE,
  EXCLUDE USING gist (rate_plan_id WITH =, nights WITH &&)
);
SELECT tenure_enable_tenant_isolation('rate_season');

-- One night of a plan: a price that overrides every other, and that night's restrictions. Set in
-- bulk over ranges; a night without a row has the plan's prices and no restriction.
CREATE TABLE rate_day (
  org_id uuid NOT NULL,
  rate_plan_id uuid NOT NULL,
  night date NOT NULL,
  price bigint CHECK (price >= 0),
  min_stay integer CHECK (min_stay BETWEEN 1 AND 365),
  max_stay integer CHECK (max_stay BETWEEN 1 AND 365),
  closed_to_arrival boolean NOT NULL DEFAULT false,
  closed_to_departure boolean NOT NULL DEFAULT false,
  stop_sell boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (rate_plan_id, night),
  CHECK (min_stay IS NULL OR max_stay IS NULL OR min_stay <= max_stay),
  FOREIGN KEY (org_id, rate_plan_id) REFERENCES rate_plan (org_id, id) ON DELETE CASCADE
);
SELECT tenure_enable_tenant_isolation('rate_day');

CREATE TABLE tax (
  id uuid PRIMARY KEY,
  org_id uuid NOT NULL,
  property_id uuid NOT NULL,
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  kind text NOT NULL CHECK (kind IN ('percentage', 'per_night', 'per_person_per_night')),
  rate_bps integer CHECK (rate_bps BETWEEN 0 AND 10000),
  amount bigint CHECK (amount >= 0),
  currency char(3) CHECK (currency ~ '^[A-Z]{3}$'),
  -- Inclusive taxes are already inside the prices and are shown, not added.
  inclusive boolean NOT NULL DEFAULT false,
  -- A percentage tax on the fees too, or on the nights only.
  applies_to_fees boolean NOT NULL DEFAULT true,
  rental_modes text[] NOT NULL DEFAULT '{daily,monthly,lease}' CHECK (rental_modes <@ ARRAY['daily', 'monthly', 'lease']::text[]),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((kind = 'percentage') = (rate_bps IS NOT NULL)),
  CHECK ((kind <> 'percentage') = (amount IS NOT NULL AND currency IS NOT NULL)),
  CHECK (NOT (inclusive AND kind <> 'percentage'))
);
CREATE INDEX tax_by_property_idx ON tax (org_id, property_id);
SELECT tenure_enable_tenant_isolation('tax');

-- An organization's own cancellation policy. `rules` holds, per rental mode, the refund windows
-- relative to check-in in the property's time zone (see the pricing module's policy schema).
CREATE TABLE cancellation_policy (
  id uuid PRIMARY KEY,
  org_id uuid NOT NULL,
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  rules jsonb NOT NULL CHECK (jsonb_typeof(rules) = 'object'),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, name)
);
SELECT tenure_enable_tenant_isolation('cancellation_policy');
