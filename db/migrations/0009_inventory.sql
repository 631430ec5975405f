-- Inventory: who owns the properties, the properties, their unit types (room types) and their
-- units (rooms, apartments, offices, plots). Every row belongs to one organization (org_id) and is
-- held to it by row-level security.

CREATE TABLE property_owner (
  id uuid PRIMARY KEY,
  org_id uuid NOT NULL,
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
  email text CHECK (email = lower(btrim(email)) AND char_length(email) BETWEEN 3 AND 254),
  phone text CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
  -- The owner's own login, when they have one: an `owner` member sees only their properties.
  user_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, id)
);
CREATE UNIQUE INDEX property_owner_user_idx ON property_owner (org_id, user_id) WHERE user_id IS NOT NULL;
SELECT tenure_enable_tenant_isolation('property_owner');

CREATE TABLE property (
  id uuid PRIMARY KEY,
  org_id uuid NOT NULL,
  owner_id uuid,
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
  category text NOT NULL CHECK (category IN ('residential', 'commercial', 'hospitality', 'plot')),
  property_type text NOT NULL CHECK (property_type ~ '^[a-z][a-z_]{1,39}$'),
  address_line1 text NOT NULL CHECK (char_length(address_line1) BETWEEN 1 AND 200),
  address_line2 text CHECK (char_length(address_line2) <= 200),
  city text NOT NULL CHECK (char_length(city) BETWEEN 1 AND 100),
  region text CHECK (char_length(region) <= 100),
  postal_code text CHECK (char_length(postal_code) <= 20),
  country char(2) NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
  latitude numeric(9, 6) CHECK (latitude BETWEEN -90 AND 90),
  longitude numeric(9, 6) CHECK (longitude BETWEEN -180 AND 180),
  -- IANA zone: stay dates, check-in times and cancellation windows are the property's local time.
  time_zone text NOT NULL,
  currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  check_in_time time NOT NULL DEFAULT '15:00',
  check_out_time time NOT NULL DEFAULT '11:00',
  amenities text[] NOT NULL DEFAULT '{}',
  -- Ordered: [{ "url": "https://…", "caption": "…" }]
  images jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(images) = 'array'),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((latitude IS NULL) = (longitude IS NULL)),
  UNIQUE (org_id, id),
  FOREIGN KEY (org_id, owner_id) REFERENCES property_owner (org_id, id)
);
CREATE INDEX property_by_owner_idx ON property (org_id, owner_id);
SELECT tenure_enable_tenant_isolation('property');

CREATE TABLE unit_type (
  id uuid PRIMARY KEY,
  org_id uuid NOT NULL,
  property_id uuid NOT NULL,
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  code text NOT NULL CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]{0,15}$'),
  description text CHECK (char_length(description) <= 4000),
  -- Capacity: the most guests a unit of this type takes, and how many of them may be adults.
  max_occupancy integer NOT NULL CHECK (max_occupancy BETWEEN 1 AND 100),
  max_adults integer NOT NULL CHECK (max_adults BETWEEN 1 AND 100),
  -- [{ "type": "king", "count": 1 }]
  beds jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(beds) = 'array'),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (max_adults <= max_occupancy),
  UNIQUE (org_id, id),
  UNIQUE (property_id, code),
  FOREIGN KEY (org_id, property_id) REFERENCES property (org_id, id) ON DELETE CASCADE
);
SELECT tenure_enable_tenant_isolation('unit_type');

CREATE TABLE unit (
  id uuid PRIMARY KEY,
  org_id uuid NOT NULL,
  property_id uuid NOT NULL,
  unit_type_id uuid NOT NULL,
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 50),
  floor text CHECK (char_length(floor) <= 20),
  housekeeping_status text NOT NULL DEFAULT 'clean' CHECK (housekeeping_status IN ('clean', 'dirty', 'inspected')),
  operational_status text NOT NULL DEFAULT 'in_service' CHECK (operational_status IN ('in_service', 'out_of_order', 'out_of_service')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org_id, id),
  UNIQUE (property_id, name),
  FOREIGN KEY (org_id, property_id) REFERENCES property (org_id, id) ON DELETE CASCADE,
  FOREIGN KEY (org_id, unit_type_id) REFERENCES unit_type (org_id, id)
);
CREATE INDEX unit_by_type_idx ON unit (org_id, unit_type_id);
SELECT tenure_enable_tenant_isolation('unit');
