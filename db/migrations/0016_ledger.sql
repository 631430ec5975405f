-- The double-entry ledger: each organization's chart of accounts, journal entries and their
-- postings. A posting is signed (a debit positive, a credit negative); the postings of an entry sum
-- to zero in each currency, which the database checks when the transaction commits. Entries and
-- postings are never changed or deleted: a correction is a reversal entry.

CREATE TABLE ledger_account (
  id uuid PRIMARY KEY,
  org_id uuid NOT NULL,
  -- The chart's code (src/modules/ledger/chart.ts): 1xxx assets, 2xxx liabilities, 3xxx equity,
  -- 4xxx income, 5xxx expenses.
  code text NOT NULL CHECK (code ~ '^[1-5][0-9]{3}$'),
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
  type text NOT NULL CHECK (type IN ('asset', 'liability', 'equity', 'income', 'expense')),
  currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  -- A sub-ledger account belongs to one party: a customer's receivable, an owner's payable, a
  -- provider's clearing account. Accounts of the organization itself have none.
  party_type text CHECK (party_type IN ('customer', 'owner', 'provider')),
  party_id text CHECK (char_length(party_id) BETWEEN 1 AND 100),
  -- Debits minus credits of every posting, kept by the posting trigger in the posting's transaction
  -- and checked against the postings by the `ledger.balances.check.v1` job.
  balance bigint NOT NULL DEFAULT 0,
  posting_count bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((party_type IS NULL) = (party_id IS NULL)),
  UNIQUE (org_id, id),
  UNIQUE (org_id, id, currency),
  UNIQUE NULLS NOT DISTINCT (org_id, code, currency, party_type, party_id)
);
CREATE INDEX ledger_account_party_idx ON ledger_account (org_id, party_type, party_id) WHERE party_type IS NOT NULL;
SELECT tenure_enable_tenant_isolation('ledger_account');

CREATE TABLE journal_entry (
  id uuid PRIMARY KEY,
  org_id uuid NOT NULL,
  description text NOT NULL CHECK (char_length(description) BETWEEN 1 AND 500),
  -- What the entry records, and the step of it: one entry per (source, step), so a redelivered
  -- event posts nothing twice. A manual entry's source is itself.
  source_type text NOT NULL CHECK (source_type ~ '^[a-z][a-z_]{1,39}$'),
  source_id uuid NOT NULL,
  source_event text NOT NULL CHECK (source_event ~ '^[a-z][a-z0-9_.]{0,59}$'),
  -- A reversal names the entry it cancels; an entry is reversed at most once.
  reverses_entry_id uuid,
  -- When the money moved (a payment's capture, a payout's success), which may precede the posting.
  effective_at timestamptz NOT NULL,
  created_by uuid,
  correlation_id text,
  metadata jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  UNIQUE (org_id, id),
  UNIQUE (org_id, source_type, source_id, source_event),
  UNIQUE (org_id, reverses_entry_id),
  FOREIGN KEY (org_id, reverses_entry_id) REFERENCES journal_entry (org_id, id)
);
CREATE INDEX journal_entry_recent_idx ON journal_entry (org_id, created_at DESC, id DESC);
CREATE INDEX journal_entry_source_idx ON journal_entry (org_id, source_type, source_id);
SELECT tenure_enable_tenant_isolation('journal_entry');

CREATE TABLE ledger_posting (
  id uuid PRIMARY KEY,
  org_id uuid NOT NULL,
  entry_id uuid NOT NULL,
  account_id uuid NOT NULL,
  -- Minor units of the currency: a debit positive, a credit negative.
  amount bigint NOT NULL CHECK (amount <> 0),
  currency char(3) NOT NULL,
  -- The account's balance (debits minus credits) just after this posting.
  balance_after bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  FOREIGN KEY (org_id, entry_id) REFERENCES journal_entry (org_id, id),
  -- The posting's currency is its account's.
  FOREIGN KEY (org_id, account_id, currency) REFERENCES ledger_account (org_id, id, currency)
);
CREATE INDEX ledger_posting_entry_idx ON ledger_posting (entry_id);
CREATE INDEX ledger_posting_account_idx ON ledger_posting (org_id, account_id, created_at DESC, id DESC);
SELECT tenure_enable_tenant_isolation('ledger_posting');

-- Each posting moves its account's balance in the same transaction, and records the balance after it.
-- Postings of one entry should be inserted in the order of their account ids, so that two entries
-- touching the same accounts lock them in the same order.
CREATE FUNCTION ledger_posting_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE ledger_account
  SET balance = balance + NEW.amount, posting_count = posting_count + 1, updated_at = now()
  WHERE org_id = NEW.org_id AND id = NEW.account_id
  RETURNING balance INTO NEW.balance_after;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'ledger account % does not exist', NEW.account_id USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER ledger_posting_apply BEFORE INSERT ON ledger_posting FOR EACH ROW EXECUTE FUNCTION ledger_posting_apply();

-- At commit: an entry has at least two postings, and they sum to zero in each currency.
CREATE FUNCTION ledger_entry_check_balance(checked_entry uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  postings integer;
  unbalanced text;
BEGIN
  SELECT count(*) INTO postings FROM ledger_posting WHERE entry_id = checked_entry;
  IF postings < 2 THEN
    RAISE EXCEPTION 'journal entry % has % posting(s): an entry needs at least two', checked_entry, postings
      USING ERRCODE = 'check_violation', CONSTRAINT = 'journal_entry_balanced';
  END IF;
  SELECT string_agg(currency || ' ' || total, ', ' ORDER BY currency) INTO unbalanced
  FROM (SELECT currency, sum(amount) AS total FROM ledger_posting WHERE entry_id = checked_entry GROUP BY currency HAVING sum(amount) <> 0) t;
  IF unbalanced IS NOT NULL THEN
    RAISE EXCEPTION 'journal entry % does not balance: its postings sum to %', checked_entry, unbalanced
      USING ERRCODE = 'check_violation', CONSTRAINT = 'journal_entry_balanced';
  END IF;
END
$$;

-- Each branch names only its own table's column: PL/pgSQL resolves NEW's fields per statement.
CREATE FUNCTION journal_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'journal_entry' THEN
    PERFORM ledger_entry_check_balance(NEW.id);
  ELSE
    PERFORM ledger_entry_check_balance(NEW.entry_id);
  END IF;
  RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER journal_entry_balanced AFTER INSERT ON journal_entry
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION journal_entry_balanced();
-- A posting added to an entry of an earlier transaction is checked too.
CREATE CONSTRAINT TRIGGER ledger_posting_balanced AFTER INSERT ON ledger_posting
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION journal_entry_balanced();

CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege',
          HINT = 'Ledger entries are never changed or deleted: post a reversal entry instead.';
END
$$;
CREATE TRIGGER journal_entry_append_only BEFORE UPDATE OR DELETE ON journal_entry FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER journal_entry_no_truncate BEFORE TRUNCATE ON journal_entry FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_posting_append_only BEFORE UPDATE OR DELETE ON ledger_posting FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_posting_no_truncate BEFORE TRUNCATE ON ledger_posting FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
-- An account that has postings keeps them: it is never deleted.
CREATE FUNCTION ledger_account_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.posting_count > 0 THEN
    RAISE EXCEPTION 'ledger account % has postings and cannot be deleted', OLD.id USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN OLD;
END
$$;
CREATE TRIGGER ledger_account_keep BEFORE DELETE ON ledger_account FOR EACH ROW EXECUTE FUNCTION ledger_account_keep();

-- The outcome of each run of the balance check: an account whose kept balance differs from the sum
-- of its postings is listed, and an operator sees it in GET /v1/ledger/balance-checks.
CREATE TABLE ledger_balance_check (
  id uuid PRIMARY KEY,
  org_id uuid NOT NULL,
  checked_at timestamptz NOT NULL DEFAULT now(),
  accounts_checked integer NOT NULL CHECK (accounts_checked >= 0),
  -- [{accountId, code, currency, kept, posted}]
  mismatches jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(mismatches) = 'array')
);
CREATE INDEX ledger_balance_check_recent_idx ON ledger_balance_check (org_id, checked_at DESC);
SELECT tenure_enable_tenant_isolation('ledger_balance_check');
