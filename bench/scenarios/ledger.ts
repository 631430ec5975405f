import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { systemCaller } from '../../src/platform/audit/change.ts';
import { createClient, createDatabase, createPool, type Database } from '../../src/platform/db/database.ts';
import { transactionAsTenant } from '../../src/platform/db/tenant.ts';
import { uuidv7 } from '../../src/platform/ids.ts';
import { accountBalance, type AccountKey, type NewEntry, postEntry } from '../../src/modules/ledger/index.ts';
import { compare } from '../results.ts';
import { type LoopResult, loopMeasurement, runLoops } from '../stats.ts';
import { actingFor } from './availability.ts';
import type { Scenario, ScenarioContext } from './context.ts';

/**
 * Scenario 7: journal entries posted per second with the ledger's `postEntry`, each in its own
 * transaction acting for the organization, first spread over many accounts, then with every entry
 * debiting one hot account. Beside each, the limit: the same rows (the entry, its two postings,
 * and through the posting trigger the accounts' balances) inserted with plain SQL, a transaction
 * per entry, at the same concurrency. Afterwards, the organization's ledger is checked in SQL.
 */

const currency = 'EUR';

/** One entry of a load: which two accounts, by their keys and their ids. */
interface EntryShape {
  id: 'spread' | 'hot';
  /** What the report says of it. */
  label: string;
  /** The debited and credited accounts of entry `index`. */
  accounts(index: number): [AccountKey, AccountKey];
}

/** The accounts the loads post to: customers' receivables, owners' escrow, and the sandbox's clearing account. */
interface Chart {
  customers: string[];
  owners: string[];
  /** Account key (`code|party id`) → account id. */
  ids: Map<string, string>;
}

const receivable = (customerId: string): AccountKey => ({ code: '1200', currency, party: { type: 'customer', id: customerId } });
const escrow = (ownerId: string): AccountKey => ({ code: '2000', currency, party: { type: 'owner', id: ownerId } });
const clearing: AccountKey = { code: '1100', currency, party: { type: 'provider', id: 'sandbox' } };
const keyOf = (key: AccountKey) => `${key.code}|${key.party?.id ?? ''}`;

function shapes(chart: Chart): EntryShape[] {
  const n = chart.customers.length;
  return [
    {
      id: 'spread',
      label: 'many accounts',
      accounts: (index) => [receivable(chart.customers[index % n]!), escrow(chart.owners[index % n]!)],
    },
    {
      id: 'hot',
      label: 'one hot account',
      accounts: (index) => [clearing, escrow(chart.owners[index % n]!)],
    },
  ];
}

/** A different amount per entry, never zero: 100.00 to 199.99 EUR. */
const amountOf = (index: number) => 10_000 + ((index * 7_919) % 10_000);

/** Opens every account the loads use (empty), in one transaction acting for the organization, and reads their ids. */
async function openChart(db: Database, orgId: string, accounts: number): Promise<Chart> {
  const customers = Array.from({ length: accounts }, () => randomUUID());
  const owners = Array.from({ length: accounts }, () => randomUUID());
  const keys = [clearing, ...customers.map(receivable), ...owners.map(escrow)];
  const ids = await transactionAsTenant(db, orgId, async (tx) => {
    for (const key of keys) await accountBalance(tx, orgId, key, { lock: true });
    return tx.selectFrom('ledgerAccount').select(['id', 'code', 'partyId']).execute();
  });
  return { customers, owners, ids: new Map(ids.map((row) => [`${row.code}|${row.partyId ?? ''}`, row.id])) };
}

/** Runs `operation` for the warm-up, then for the measured seconds; both runs, so the check can count every entry. */
async function warmAndMeasure(context: ScenarioContext, operation: (index: number) => Promise<unknown>): Promise<[LoopResult, LoopResult]> {
  const { settings } = context;
  let next = 0;
  const counted = () => operation(next++);
  const warmup = await runLoops({ workers: settings.connections, seconds: settings.warmupSeconds, operation: counted });
  const measured = await runLoops({ workers: settings.connections, seconds: settings.seconds, operation: counted });
  return [warmup, measured];
}

const insertEntry = `INSERT INTO journal_entry (id, org_id, description, source_type, source_id, source_event, effective_at)
  VALUES ($1, $2, $3, 'bench_raw', $4, $5, $6)`;
const insertPostings = `INSERT INTO ledger_posting (id, org_id, entry_id, account_id, amount, currency)
  VALUES ($1, $3, $4, $5, $6, $9), ($2, $3, $4, $7, $8, $9)`;

/**
 * The raw limit of one entry: BEGIN, the entry, its two postings in one statement sorted by account
 * id (the posting trigger moves both balances, as it does for postEntry), COMMIT. The deferred
 * balance check runs at COMMIT, as it does for every entry.
 */
async function rawEntry(pool: pg.Pool, orgId: string, shape: EntryShape, chart: Chart, index: number): Promise<void> {
  const amount = amountOf(index);
  const [debit, credit] = shape.accounts(index);
  const lines = [
    { accountId: chart.ids.get(keyOf(debit))!, amount },
    { accountId: chart.ids.get(keyOf(credit))!, amount: -amount },
  ].sort((a, b) => (a.accountId < b.accountId ? -1 : 1));
  const entryId = uuidv7();
  const [first, second] = [uuidv7(), uuidv7()].sort();
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(insertEntry, [entryId, orgId, `Bench entry ${index}`, randomUUID(), shape.id, new Date()]);
    await client.query(insertPostings, [
      first,
      second,
      orgId,
      entryId,
      lines[0]!.accountId,
      lines[0]!.amount,
      lines[1]!.accountId,
      lines[1]!.amount,
      currency,
    ]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    client.release(error as Error);
    throw error;
  }
  client.release();
}

function ledgerEntry(orgId: string, shape: EntryShape, index: number): NewEntry {
  const amount = amountOf(index);
  const [debit, credit] = shape.accounts(index);
  return {
    orgId,
    description: `Bench entry ${index}`,
    source: { type: 'bench', id: randomUUID(), event: shape.id },
    postings: [
      { account: debit, amount },
      { account: credit, amount: -amount },
    ],
  };
}

export const ledgerScenario: Scenario = async (context, result) => {
  const { settings, log } = context;
  const orgId = randomUUID();
  const caller = systemCaller(orgId, { correlationId: `bench-ledger-${orgId}` });
  const db = createDatabase(createPool({ url: context.database.url, poolMax: settings.poolMax, applicationName: 'tenure-bench-ledger' }));
  const raw = createPool({ url: actingFor(context.database.url, orgId), poolMax: settings.poolMax, applicationName: 'tenure-bench-raw' });
  const workers = `${settings.connections} workers over a pool of ${settings.poolMax}`;
  result.comparisons.push(
    compare('ledger.post.spread', 'sql.ledger.spread', 'share of the raw SQL rate for the same rows that postEntry reaches, many accounts'),
    compare('ledger.post.hot', 'sql.ledger.hot', 'the same with every entry on one hot account'),
    compare('ledger.post.hot', 'ledger.post.spread', 'postEntry on one hot account against many; below 1.0 the hot row serializes'),
    compare('sql.ledger.hot', 'sql.ledger.spread', 'the database’s own cost of the hot row: raw SQL on one account against many'),
    compare('ledger.post.spread', 'pgbench.tpcb', 'entries per TPC-B transaction (scenario 4), many accounts'),
  );
  const posted = { postEntry: 0, raw: 0 };
  const n = settings.ledger.accounts;
  try {
    log(`  set-up: ${settings.ledger.accounts} customers' receivables, as many owners' escrow accounts and one clearing account`);
    const chart = await openChart(db, orgId, settings.ledger.accounts);

    for (const shape of shapes(chart)) {
      log(`  raw SQL limit: the same rows, ${shape.id}, ${workers}`);
      const rawRuns = await warmAndMeasure(context, (index) => rawEntry(raw, orgId, shape, chart, index));
      posted.raw += rawRuns[0].operations + rawRuns[1].operations;
      result.measurements.push(
        loopMeasurement(
          `sql.ledger.${shape.id}`,
          `Raw SQL, ${shape.label}: BEGIN, the entry, its 2 postings, COMMIT (${workers})`,
          rawRuns[1],
          { unit: 'entries/s', isLimit: true },
        ),
      );

      log(`  postEntry, ${shape.id}, ${workers}`);
      const runs = await warmAndMeasure(context, async (index) => {
        const entry = await transactionAsTenant(db, orgId, (tx) => postEntry(tx, caller, ledgerEntry(orgId, shape, index)));
        if (!entry) throw new Error('postEntry answered null for a new source event');
      });
      posted.postEntry += runs[0].operations + runs[1].operations;
      result.measurements.push(
        loopMeasurement(`ledger.post.${shape.id}`, `postEntry, ${shape.label}, a transaction each (${workers})`, runs[1], {
          unit: 'entries/s',
          isLimit: false,
        }),
      );
    }

    log('  checking in SQL: every account balance is the sum of its postings, every entry balances');
    const check = await checkLedger(context, orgId, posted);
    result.notes.push(
      `Each postEntry runs in its own transaction acting for the organization (set_config), as a use case's would: the entry (ON CONFLICT on its source event), ` +
        `one SELECT that finds both accounts (opening them only when missing), one that inserts both postings (the trigger moves each balance and records the balance after it), ` +
        'and the journal_entry.posted outbox event (an advisory lock on the aggregate, the INSERT, pg_notify); no relay runs meanwhile.',
      'The raw SQL limit inserts the same rows with plain statements on connections that act for the organization from their start-up options, ' +
        'so row-level security, the posting trigger (the balance update) and the deferred balance check at COMMIT apply as they do for postEntry; ' +
        'it leaves out the set_config, the account lookup and the outbox event.',
      `Many accounts: entry i debits customer i mod ${n}'s receivable (1200) and credits owner i mod ${n}'s escrow (2000), so no two entries in flight share an account. ` +
        `One hot account: every entry debits the sandbox's clearing account (1100) and credits owner i mod ${n}'s escrow, so every entry updates the same account row ` +
        'and the transactions holding it take turns until each COMMIT. Every account is opened (empty) before the loads, as in a ledger that has been trading.',
      'On the hot account both hold the row from the postings INSERT to COMMIT; postEntry finds its accounts with a plain SELECT first (opening ' +
        'only missing ones), so the lookup does not wait for the row, but its outbox event (advisory lock, INSERT, pg_notify) runs while the row is held.',
      `Latency is per entry, from asking the pool for a connection to COMMIT, so with ${workers} it includes the wait for a connection.`,
      check.note,
    );
    if (check.failures.length > 0) throw new Error(check.failures.join('; '));
  } finally {
    await raw.end();
    await db.destroy();
  }
};

/**
 * As the tables' owner, in the bench's organization: accounts whose kept balance or posting count
 * differs from their postings, entries with fewer than two postings or whose postings do not sum to
 * zero, and as many entries (and journal_entry.posted events) as the loads committed.
 */
async function checkLedger(
  context: ScenarioContext,
  orgId: string,
  posted: { postEntry: number; raw: number },
): Promise<{ note: string; failures: string[] }> {
  const owner = createClient(context.database.url);
  await owner.connect();
  try {
    const { rows } = await owner.query<{
      accounts: number;
      wrong_accounts: number;
      entries: number;
      by_post_entry: number;
      by_raw: number;
      postings: number;
      unbalanced: number;
      events: number;
    }>(
      `WITH sums AS (
         SELECT account_id, sum(amount) AS total, count(*) AS n FROM ledger_posting WHERE org_id = $1 GROUP BY account_id
       ),
       currency_totals AS (
         SELECT entry_id, sum(amount) AS total FROM ledger_posting WHERE org_id = $1 GROUP BY entry_id, currency
       ),
       per_entry AS (
         SELECT e.id, count(p.id) AS n FROM journal_entry e LEFT JOIN ledger_posting p ON p.entry_id = e.id
         WHERE e.org_id = $1 GROUP BY e.id
       )
       SELECT
         (SELECT count(*)::int FROM ledger_account WHERE org_id = $1) AS accounts,
         (SELECT count(*)::int FROM ledger_account a LEFT JOIN sums s ON s.account_id = a.id
           WHERE a.org_id = $1 AND (a.balance <> coalesce(s.total, 0) OR a.posting_count <> coalesce(s.n, 0))) AS wrong_accounts,
         (SELECT count(*)::int FROM journal_entry WHERE org_id = $1) AS entries,
         (SELECT count(*)::int FROM journal_entry WHERE org_id = $1 AND source_type = 'bench') AS by_post_entry,
         (SELECT count(*)::int FROM journal_entry WHERE org_id = $1 AND source_type = 'bench_raw') AS by_raw,
         (SELECT count(*)::int FROM ledger_posting WHERE org_id = $1) AS postings,
         (SELECT count(*)::int FROM (SELECT id FROM per_entry WHERE n < 2 UNION SELECT entry_id FROM currency_totals WHERE total <> 0) u) AS unbalanced,
         (SELECT count(*)::int FROM outbox_event WHERE tenant_id = $1::text AND type = 'journal_entry.posted') AS events`,
      [orgId],
    );
    const row = rows[0];
    if (!row) throw new Error('the ledger check returned no row');
    const failures: string[] = [];
    if (row.wrong_accounts !== 0) failures.push(`${row.wrong_accounts} of ${row.accounts} accounts' balances differ from their postings`);
    if (row.unbalanced !== 0) failures.push(`${row.unbalanced} of ${row.entries} entries do not balance or have fewer than two postings`);
    if (row.by_post_entry !== posted.postEntry || row.events !== posted.postEntry)
      failures.push(
        `${row.by_post_entry} postEntry entries and ${row.events} journal_entry.posted events for ${posted.postEntry} committed`,
      );
    if (row.by_raw !== posted.raw) failures.push(`${row.by_raw} raw SQL entries for ${posted.raw} committed`);
    const verdict = failures.length === 0 ? 'consistent' : 'NOT consistent';
    const note =
      `Ledger checked afterwards in SQL, as the tables’ owner: ${verdict}. ${row.accounts - row.wrong_accounts} of ${row.accounts} accounts' balances and posting counts ` +
      `equal the sum and count of their postings; ${row.entries - row.unbalanced} of ${row.entries} entries (${row.postings} postings) have at least two postings summing to zero; ` +
      `${row.by_post_entry} entries by postEntry with as many journal_entry.posted events, and ${row.by_raw} by raw SQL, as many as the loads committed (warm-ups included).`;
    return { note, failures };
  } finally {
    await owner.end();
  }
}
