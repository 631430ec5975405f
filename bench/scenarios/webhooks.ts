import { createHmac } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createClient } from '../../src/platform/db/database.ts';
import { createHost } from '../booking-fixtures.ts';
import { benchSandboxWebhookSecret, withBenchServer } from '../child.ts';
import { type HttpLoad, httpMeasurement, measureHttp, runHttp, statusCounts } from '../http.ts';
import { asLimit, compare } from '../results.ts';
import { round, runLoops, sleep } from '../stats.ts';
import { type Scenario, type ScenarioContext, serverOptions } from './context.ts';

/**
 * Scenario 8: payment webhooks through the real route, `POST /v1/webhooks/payments/sandbox`. The
 * payments are made first through `POST /v1/payments` (`other` card payments, which the sandbox
 * leaves `processing`); then each webhook of the load is a distinct signed sandbox event, exactly
 * as the sandbox would deliver it, that finalises its own payment (processing → succeeded, posted to
 * the ledger); then the events already processed are delivered again, and are acknowledged and
 * ignored. The limit is the empty route of the same server. Afterwards SQL checks that each payment
 * succeeded at most once, with exactly one `payment/succeeded` journal entry when it did.
 */

/** The JSON the sandbox posts (docs/payments.md), here for a card payment's success. */
interface SandboxEvent {
  id: string;
  type: 'payment.succeeded';
  created: number;
  data: {
    object: 'payment';
    reference: string;
    status: 'succeeded';
    amount: number;
    currency: string;
    failure: null;
    receiptNumber: null;
  };
}

/** The header the sandbox signs its deliveries in. */
const signatureHeaderName = 'tenure-signature';

/**
 * The sandbox's signature, computed here as a provider would (Stripe's scheme, which the sandbox
 * uses): `t=<unix seconds>,v1=<hex HMAC-SHA256 keyed with the endpoint secret over "<t>.<raw body>">`.
 */
function signature(body: string, now: Date): string {
  const timestamp = Math.floor(now.getTime() / 1000);
  return `t=${timestamp},v1=${createHmac('sha256', benchSandboxWebhookSecret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** A signed delivery of one event, as the load generator sends it. */
interface Delivery {
  eventId: string;
  paymentId: string;
  body: string;
  signature: string;
}

/** The replies' bodies, `{ received, applied, duplicates, unmatched }`, summed over a load (warm-up included). */
interface Tally {
  applied: number;
  duplicates: number;
  unmatched: number;
  other: number;
  onResponse: (status: number, body: string) => void;
}

function tally(): Tally {
  const counts: Tally = {
    applied: 0,
    duplicates: 0,
    unmatched: 0,
    other: 0,
    onResponse: (status, body) => {
      if (status !== 200) return;
      try {
        const reply = JSON.parse(body) as { applied?: number; duplicates?: number; unmatched?: number };
        counts.applied += reply.applied ?? 0;
        counts.duplicates += reply.duplicates ?? 0;
        counts.unmatched += reply.unmatched ?? 0;
      } catch {
        counts.other++;
      }
    },
  };
  return counts;
}

/** What the sandbox delivers when a card payment succeeds (`deliverDueSandboxEvents`), for each payment's planned operation. */
async function succeededEvents(context: ScenarioContext, references: string[]): Promise<{ event: SandboxEvent; paymentId: string }[]> {
  const owner = createClient(context.database.url);
  await owner.connect();
  try {
    const { rows } = await owner.query<{ id: string; reference: string; amount: number; currency: string; payment_id: string }>(
      `SELECT o.id, o.reference, o.amount, o.currency, r.object_id AS payment_id
       FROM sandbox_operation o JOIN provider_reference r ON r.provider = 'sandbox' AND r.reference = o.reference
       WHERE o.reference = ANY($1::text[]) ORDER BY o.created_at, o.id`,
      [references],
    );
    const created = Math.floor(Date.now() / 1000);
    return rows.map((row) => ({
      paymentId: row.payment_id,
      event: {
        id: `sbx_evt_${row.id.replaceAll('-', '')}_1`,
        type: 'payment.succeeded',
        created,
        data: {
          object: 'payment',
          reference: row.reference,
          status: 'succeeded',
          amount: row.amount,
          currency: row.currency,
          failure: null,
          receiptNumber: null,
        },
      },
    }));
  } finally {
    await owner.end();
  }
}

/** Signed now, as the sandbox signs a delivery when it sends it (the route accepts 5 minutes either way). */
function signed(events: { event: SandboxEvent; paymentId: string }[]): Delivery[] {
  const now = new Date();
  return events.map(({ event, paymentId }) => {
    const body = JSON.stringify(event);
    return { eventId: event.id, paymentId, body, signature: signature(body, now) };
  });
}

/** Each request the next delivery of the list, from the first; past its end it starts again (counted in `sent`). */
function webhookLoad(url: string, deliveries: Delivery[], counts: Tally): { load: HttpLoad; sent: () => number } {
  let next = 0;
  let current: Delivery = deliveries[0]!;
  return {
    load: {
      url,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      // setupRequest asks for the headers, then the body, of each request: the headers move on to the next delivery.
      perRequestHeaders: () => {
        current = deliveries[next++ % deliveries.length]!;
        return { [signatureHeaderName]: current.signature };
      },
      perRequestBody: () => current.body,
      onResponse: counts.onResponse,
    },
    sent: () => next,
  };
}

export const webhooksScenario: Scenario = async (context, result) => {
  const { settings, log } = context;
  const { payments } = settings.webhooks;
  const failures: string[] = [];
  result.comparisons.push(
    compare('http.webhook.new', 'http.webhooks.live', 'share of the empty route’s rate that a webhook finalising a payment reaches'),
    compare('http.webhook.redelivery', 'http.webhooks.live', 'the same for a redelivery, acknowledged and ignored'),
    compare('http.webhook.redelivery', 'http.webhook.new', 'a redelivery against a new event; above 1.0 a redelivery is cheaper'),
    compare(
      'http.webhook.new',
      'ledger.post.hot',
      'webhooks against postEntry on one hot account (scenario 7): each webhook posts to two accounts every payment shares',
    ),
  );

  await withBenchServer('tenure-modules', serverOptions(context), async (server) => {
    log(`  set-up: an organization, a customer, and ${payments} card payments (purpose other) left processing by the sandbox`);
    const host = await createHost(server.baseUrl, context.database.url, 'webhooks');
    const references: string[] = [];
    const began = performance.now();
    const made = await runLoops({
      workers: settings.connections,
      total: payments,
      operation: async (index) => {
        const payment = await host.client.expect<{ id: string; status: string; providerReference: string | null }>(
          201,
          'POST',
          '/v1/payments',
          {
            token: host.token,
            body: {
              purpose: 'other',
              payerCustomerId: host.customerId,
              amount: 10_000 + 100 * (index % 50),
              currency: 'EUR',
              method: 'card',
              description: `Bench payment ${index}`,
            },
          },
        );
        if (payment.status !== 'processing' || !payment.providerReference)
          throw new Error(`payment ${payment.id} is ${payment.status}, not processing at the sandbox`);
        references.push(payment.providerReference);
      },
    });
    if (made.errors > 0) throw new Error(`making the payments: ${made.errors} failed, first: ${made.firstError ?? 'unknown'}`);
    const making = round((performance.now() - began) / 1000, 1);
    const events = await succeededEvents(context, references);
    if (events.length !== payments) throw new Error(`${events.length} sandbox operations for ${payments} payments`);

    log('  limit: GET /health/live on the same server');
    result.measurements.push(
      asLimit(
        await measureHttp(
          'http.webhooks.live',
          'Tenure app with every module, GET /health/live (the empty route, same server)',
          { url: `${server.baseUrl}/health/live`, method: 'GET' },
          settings,
        ),
      ),
    );

    const url = `${server.baseUrl}/v1/webhooks/payments/sandbox`;
    log('  POST /v1/webhooks/payments/sandbox, a new event per request, each finalising its own payment');
    const fresh = tally();
    const freshLoad = webhookLoad(url, signed(events), fresh);
    const freshRun = await runHttp(freshLoad.load, settings);
    const sent = freshLoad.sent();
    const newEvents = httpMeasurement(
      'http.webhook.new',
      'POST /v1/webhooks/payments/sandbox, a new signed event per request: processing → succeeded, posted to the ledger',
      freshRun.measured,
      { unit: 'webhooks/s', counts: (status) => status === 200 },
    );
    if (sent > payments) newEvents.problems.push(`the load outran the ${payments} payments: ${sent - payments} requests were redeliveries`);
    if (fresh.duplicates + fresh.unmatched + fresh.other > 0)
      newEvents.problems.push(
        `replies other than applied: ${fresh.duplicates} duplicates, ${fresh.unmatched} unmatched, ${fresh.other} unreadable`,
      );
    result.measurements.push(newEvents);

    // Every event the server recorded in its replay store, whether or not its reply arrived before the load stopped.
    const processed = new Set(await receivedEvents(context));
    const redelivered = signed(events.filter(({ event }) => processed.has(event.id)));
    if (redelivered.length === 0) throw new Error('no webhook was processed: nothing to redeliver');
    log(`  POST /v1/webhooks/payments/sandbox, redeliveries of the ${redelivered.length} events already processed`);
    const again = tally();
    const againRun = await runHttp(webhookLoad(url, redelivered, again).load, settings);
    const redeliveries = httpMeasurement(
      'http.webhook.redelivery',
      'POST /v1/webhooks/payments/sandbox, redeliveries of events already processed (acknowledged and ignored)',
      againRun.measured,
      { unit: 'webhooks/s', counts: (status) => status === 200 },
    );
    if (again.applied + again.unmatched + again.other > 0)
      redeliveries.problems.push(
        `replies other than duplicates: ${again.applied} applied, ${again.unmatched} unmatched, ${again.other} unreadable`,
      );
    result.measurements.push(redeliveries);

    log('  checking in SQL: each payment succeeded at most once, with one payment/succeeded journal entry');
    const check = await checkPayments(context, host.orgId, {
      applied: fresh.applied,
      sent: Math.min(sent, payments),
      processed: processed.size,
    });
    failures.push(...check.failures);

    result.notes.push(
      `Set-up: ${payments} card payments (purpose other, 100.00 to 149.00 EUR) of one customer, made by the organization’s admin through POST /v1/payments ` +
        `in ${making} s (${settings.connections} at a time), before any load; the sandbox leaves each processing and plans its success, ` +
        'which the bench delivers itself (no job worker runs).',
      'Each new event is what the sandbox’s delivery job sends when a card payment succeeds (`payment.succeeded`, its operation’s event id), signed with the ' +
        'endpoint secret: the route checks the signature over the raw bytes and the timestamp, claims the event id in the replay store, finds the payment by its ' +
        'provider reference, locks it, records it succeeded (history, outbox event, audit) and posts its journal entry — debit the sandbox’s clearing account ' +
        '(1100), credit rental income (4000): two accounts every payment of the organization shares, whose rows the webhooks in flight take in turn — ' +
        'all in one transaction.',
      'A redelivery is the same event again, signed anew: the route verifies it and finds its id in the replay store, then answers 200 with duplicates 1 and changes nothing. ' +
        'Both webhook loads collect every reply body to check it (autocannon onResponse); the empty route’s load does not.',
      `Replies while measured, new events: ${statusCounts(freshRun.measured.statuses)}; redeliveries: ${statusCounts(againRun.measured.statuses)}. ` +
        `Summed over warm-up and measurement, new events: ${fresh.applied} applied, ${fresh.duplicates} duplicates, ${fresh.unmatched} unmatched; ` +
        `redeliveries: ${again.duplicates} duplicates, ${again.applied} applied. ${sent} new events were sent for ${payments} payments.`,
      check.note,
    );
  });
  if (failures.length > 0) throw new Error(failures.join('; '));
};

/**
 * The event ids in the replay store, once the server has finished the requests still in flight when
 * the load stopped (autocannon drops their connections; the server carries on with them): read when
 * none of the server's connections is busy and the count has not moved for a second, or after 20 s.
 */
async function receivedEvents(context: ScenarioContext): Promise<string[]> {
  const owner = createClient(context.database.url);
  await owner.connect();
  try {
    const giveUp = performance.now() + 20_000;
    let last = -1;
    for (;;) {
      const { rows } = await owner.query<{ received: number; busy: number }>(
        `SELECT (SELECT count(*)::int FROM webhook_receipt WHERE provider = 'sandbox') AS received,
                (SELECT count(*)::int FROM pg_stat_activity WHERE application_name = 'tenure-bench-server' AND state <> 'idle') AS busy`,
      );
      const { received = 0, busy = 0 } = rows[0] ?? {};
      if ((busy === 0 && received === last) || performance.now() > giveUp) break;
      last = received;
      await sleep(1000);
    }
    const { rows } = await owner.query<{ event_id: string }>(`SELECT event_id FROM webhook_receipt WHERE provider = 'sandbox'`);
    return rows.map((row) => row.event_id);
  } finally {
    await owner.end();
  }
}

/**
 * As the tables' owner, in the bench's organization: how many payments succeeded, how many of them
 * more than once (their history's `succeeded` events), and how many payments have other than one
 * `payment/<id>/succeeded` journal entry if they succeeded, or any if they did not; at least as many
 * successes as `applied` replies and exactly as many as events in the replay store; and the
 * organization's ledger consistent (balances equal their postings, every entry balanced).
 */
async function checkPayments(
  context: ScenarioContext,
  orgId: string,
  counts: { applied: number; sent: number; processed: number },
): Promise<{ note: string; failures: string[] }> {
  const owner = createClient(context.database.url);
  await owner.connect();
  try {
    const { rows } = await owner.query<{
      payments: number;
      succeeded: number;
      processing: number;
      twice: number;
      wrong_entries: number;
      entries: number;
      wrong_accounts: number;
      unbalanced: number;
    }>(
      `WITH successes AS (
         SELECT p.id, p.status,
           (SELECT count(*) FROM payment_event e WHERE e.payment_id = p.id AND e.to_status = 'succeeded' AND e.from_status IS DISTINCT FROM 'succeeded') AS became,
           (SELECT count(*) FROM journal_entry j WHERE j.org_id = p.org_id AND j.source_type = 'payment' AND j.source_id = p.id AND j.source_event = 'succeeded') AS entries
         FROM payment p WHERE p.org_id = $1
       )
       SELECT
         (SELECT count(*)::int FROM successes) AS payments,
         (SELECT count(*)::int FROM successes WHERE status = 'succeeded') AS succeeded,
         (SELECT count(*)::int FROM successes WHERE status = 'processing') AS processing,
         (SELECT count(*)::int FROM successes WHERE became > 1 OR (status = 'succeeded') <> (became = 1)) AS twice,
         (SELECT count(*)::int FROM successes WHERE entries <> CASE WHEN status = 'succeeded' THEN 1 ELSE 0 END) AS wrong_entries,
         (SELECT count(*)::int FROM journal_entry WHERE org_id = $1) AS entries,
         (SELECT count(*)::int FROM ledger_account a WHERE a.org_id = $1 AND a.balance <>
           coalesce((SELECT sum(l.amount) FROM ledger_posting l WHERE l.account_id = a.id), 0)) AS wrong_accounts,
         (SELECT count(*)::int FROM (SELECT entry_id FROM ledger_posting WHERE org_id = $1 GROUP BY entry_id, currency HAVING sum(amount) <> 0) u) AS unbalanced`,
      [orgId],
    );
    const row = rows[0];
    if (!row) throw new Error('the payments check returned no row');
    const failures: string[] = [];
    if (row.twice !== 0) failures.push(`${row.twice} payments whose history does not show exactly one success for their status`);
    if (row.wrong_entries !== 0)
      failures.push(`${row.wrong_entries} payments without exactly one payment/succeeded entry if succeeded, or none if not`);
    if (row.succeeded < counts.applied || row.succeeded > counts.sent || row.succeeded !== counts.processed)
      failures.push(
        `${row.succeeded} payments succeeded for ${counts.applied} applied replies, ${counts.processed} events in the replay store, ${counts.sent} sent`,
      );
    if (row.succeeded + row.processing !== row.payments)
      failures.push(`${row.payments - row.succeeded - row.processing} payments neither succeeded nor processing`);
    if (row.wrong_accounts !== 0 || row.unbalanced !== 0)
      failures.push(`ledger: ${row.wrong_accounts} accounts differ from their postings, ${row.unbalanced} entries do not balance`);
    const note =
      `Checked afterwards in SQL, as the tables’ owner: of ${row.payments} payments, ${row.succeeded} succeeded and ${row.processing} are still processing ` +
      `(${counts.applied} replies said applied; ${counts.processed} events are in the replay store; ${counts.sent} new events were sent, warm-up included). ` +
      `${row.twice} payments succeeded other than once in their history, ${row.wrong_entries} lack exactly one payment/succeeded journal entry ` +
      `(${row.entries} entries in the organization); ${row.wrong_accounts} accounts differ from their postings and ${row.unbalanced} entries do not balance.`;
    return { note, failures };
  } finally {
    await owner.end();
  }
}
