import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../../test/helpers/app.ts';
import { systemCaller } from '../../platform/audit/change.ts';
import { transactionAsTenant } from '../../platform/db/tenant.ts';
import { uuidv7 } from '../../platform/ids.ts';
import { invoiceFacts } from './index.ts';
import { issueChargeInvoice } from './issue.ts';
import { CreateInvoiceBody, type InvoiceDetail, type InvoiceSummary } from './schemas.ts';
import {
  addMember,
  createStay,
  customerOfMember,
  eventsHandled,
  eventTypesOf,
  expectStatus,
  expectValidPdf,
  type Host,
  hostedInvoicesApp,
  http,
  invoiceOf,
  newCustomer,
  newOrganization,
  postingsOfSource,
  publishPaymentEvent,
} from './test-support.ts';

let t: TestApp;
let host: Host;

beforeAll(async () => {
  ({ t, host } = await hostedInvoicesApp('billing'));
});
afterAll(() => t.close());

const lamp = { description: 'Broken lamp', quantity: 1, unitAmount: 4500, kind: 'charge' };
const lateCheckOut = { description: 'Late check-out (hours)', quantity: 2.5, unitAmount: 1999, kind: 'fee' };

async function issue(session: Host['admin'], body: object): Promise<InvoiceDetail> {
  return expectStatus<InvoiceDetail>(await http(t).post('/v1/invoices', session, body), 201);
}

/** A new customer's invoice for the broken lamp and the late check-out, taxed at 23 %, with any other fields of the request. */
async function lampAndLateCheckOut(fields: object = {}): Promise<{ customerId: string; invoice: InvoiceDetail }> {
  const customerId = await newCustomer(t, host);
  const invoice = await issue(host.admin, { customerId, currency: 'EUR', lines: [lamp, lateCheckOut], taxRateBps: 2300, ...fields });
  return { customerId, invoice };
}

const delivered = () => eventsHandled(t);

describe('charge invoices', () => {
  it('are issued with amounts rounded once and posted to the ledger in the same transaction', async () => {
    const { customerId, invoice } = await lampAndLateCheckOut({ dueDate: '2999-01-31', notes: 'Room 101' });
    // 2.5 × 19.99 = 49.975 → 49.98; 23% of 94.98 = 21.8454 → 21.85.
    expect(invoice).toMatchObject({
      kind: 'charge',
      status: 'issued',
      number: expect.stringMatching(/^INV-\d{6}$/) as unknown,
      bookingId: null,
      customerId,
      currency: 'EUR',
      subtotal: 9498,
      taxTotal: 2185,
      includedTax: 0,
      total: 11683,
      amountPaid: 0,
      amountDue: 11683,
      dueDate: '2999-01-31',
      notes: 'Room 101',
      billTo: { customerId, name: 'Ines Walker', phone: '+351912345678' },
      seller: { organizationId: host.orgId, propertyId: null },
    });
    expect(invoice.lines).toEqual([
      { position: 1, kind: 'charge', description: 'Broken lamp', quantity: 1, unitAmount: 4500, amount: 4500, included: false },
      { position: 2, kind: 'fee', description: 'Late check-out (hours)', quantity: 2.5, unitAmount: 1999, amount: 4998, included: false },
      { position: 3, kind: 'tax', description: 'Tax (23%)', quantity: 1, unitAmount: 2185, amount: 2185, included: false },
    ]);

    expect(invoice.ledgerEntryId).not.toBeNull();
    const postings = await postingsOfSource(t, { type: 'invoice', id: invoice.id, event: 'issued' });
    expect(postings).toEqual([
      { code: '1200', partyType: 'customer', partyId: customerId, amount: 11683 },
      { code: '2600', partyType: null, partyId: null, amount: -2185 },
      { code: '4000', partyType: null, partyId: null, amount: -4500 },
      { code: '4200', partyType: null, partyId: null, amount: -4998 },
    ]);
    expect(await eventTypesOf(t, invoice.id)).toEqual(['invoice.issued']);
    const { rows: audit } = await sql<{ action: string }>`
      SELECT action FROM audit_log WHERE entity_type = 'invoice' AND entity_id = ${invoice.id}
    `.execute(t.database.owner);
    expect(audit.map((row) => row.action)).toEqual(['CREATE']);
  });

  it('takes an inclusive tax out of the incomes it is in', async () => {
    const { invoice } = await lampAndLateCheckOut({ taxInclusive: true });
    // 94.98 × 23 / 123 = 17.7607 → 17.76, shown and not added.
    expect(invoice).toMatchObject({ subtotal: 9498, taxTotal: 0, includedTax: 1776, total: 9498 });
    expect(invoice.lines[2]).toMatchObject({ kind: 'tax', description: 'Tax included (23%)', amount: 1776, included: true });
    const postings = await postingsOfSource(t, { type: 'invoice', id: invoice.id, event: 'issued' });
    const byCode = Object.fromEntries(postings.map((posting) => [posting.code, posting.amount]));
    expect(byCode['1200']).toBe(9498);
    expect(byCode['2600']).toBe(-1776);
    expect(byCode['4000']! + byCode['4200']!).toBe(-(9498 - 1776));
  });

  it('defaults the due date to 14 days after issue and refuses one before it', async () => {
    const customerId = await newCustomer(t, host);
    const invoice = await issue(host.admin, { customerId, currency: 'EUR', lines: [lamp] });
    const issued = new Date(`${invoice.issueDate}T00:00:00Z`);
    expect(new Date(`${invoice.dueDate}T00:00:00Z`).getTime() - issued.getTime()).toBe(14 * 86_400_000);

    const early = await http(t).post('/v1/invoices', host.admin, { customerId, currency: 'EUR', lines: [lamp], dueDate: '2000-01-01' });
    expect(expectStatus<{ code: string }>(early, 422).code).toBe('invoices.invalid_due_date');
  });

  it('refuses what cannot be invoiced', async () => {
    const customerId = await newCustomer(t, host);
    for (const body of [
      { customerId, currency: 'EUR', lines: [] },
      { customerId, currency: 'XYZ', lines: [lamp] },
      { customerId, currency: 'EUR', lines: [{ ...lamp, quantity: 1.2345 }] },
      { customerId, currency: 'EUR', lines: [{ ...lamp, quantity: 0 }] },
      { customerId, currency: 'EUR', lines: [{ ...lamp, unitAmount: 12.5 }] },
      { customerId, currency: 'EUR', lines: [{ ...lamp, kind: 'night' }] },
      { customerId, currency: 'EUR', lines: [lamp], bookingId: uuidv7() },
      { customerId, currency: 'EUR', lines: [{ ...lamp, quantity: 1_000_000, unitAmount: 1_000_000_000_000 }] },
    ]) {
      expect((await http(t).post('/v1/invoices', host.admin, body)).statusCode, JSON.stringify(body)).toBe(400);
    }
    const unknown = await http(t).post('/v1/invoices', host.admin, { customerId: uuidv7(), currency: 'EUR', lines: [lamp] });
    expect(expectStatus<{ code: string }>(unknown, 404).code).toBe('invoices.customer_not_found');
  });
});

describe('invoice numbers', () => {
  it('are gapless and unique under 20 concurrent issues', async () => {
    const org = await newOrganization(t, 'numbers');
    const customerId = await newCustomer(t, org);
    const replies = await Promise.all(
      Array.from({ length: 20 }, () => http(t).post('/v1/invoices', org.admin, { customerId, currency: 'EUR', lines: [lamp] })),
    );
    const numbers = replies.map((reply) => expectStatus<InvoiceDetail>(reply, 201).number).sort();
    expect(numbers).toEqual(Array.from({ length: 20 }, (_, index) => `INV-${String(index + 1).padStart(6, '0')}`));
  });

  it('are given back when the issue rolls back', async () => {
    const org = await newOrganization(t, 'rollback');
    const customerId = await newCustomer(t, org);
    const first = await issue(org.admin, { customerId, currency: 'EUR', lines: [lamp] });
    expect(first.number).toBe('INV-000001');

    const body = CreateInvoiceBody.parse({ customerId, currency: 'EUR', lines: [lamp] });
    let taken: string | undefined;
    const failure = new Error('the rest of the use case failed');
    await expect(
      transactionAsTenant(t.database.db, org.orgId, async (tx) => {
        taken = (await issueChargeInvoice(tx, systemCaller(org.orgId, { correlationId: uuidv7() }), body)).number;
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(taken).toBe('INV-000002');

    expect((await issue(org.admin, { customerId, currency: 'EUR', lines: [lamp] })).number).toBe('INV-000002');
    const { rows } = await sql<{ count: number }>`SELECT count(*)::int AS count FROM journal_entry WHERE org_id = ${org.orgId}`.execute(
      t.database.owner,
    );
    expect(rows[0]?.count).toBe(2);
  });
});

describe('voiding', () => {
  it('voids an unpaid charge and reverses its ledger entry', async () => {
    const { customerId, invoice } = await lampAndLateCheckOut();
    const voided = expectStatus<InvoiceDetail>(
      await http(t).post(`/v1/invoices/${invoice.id}/void`, host.admin, { reason: 'Charged to the wrong guest' }),
      200,
    );
    expect(voided).toMatchObject({ status: 'void', voidReason: 'Charged to the wrong guest', amountDue: 0 });
    expect(voided.voidedAt).not.toBeNull();

    const reversal = await postingsOfSource(t, { type: 'invoice', id: invoice.id, event: 'voided' });
    expect(reversal).toEqual([
      { code: '1200', partyType: 'customer', partyId: customerId, amount: -11683 },
      { code: '2600', partyType: null, partyId: null, amount: 2185 },
      { code: '4000', partyType: null, partyId: null, amount: 4500 },
      { code: '4200', partyType: null, partyId: null, amount: 4998 },
    ]);
    const { rows } = await sql<{ balance: number }>`
      SELECT balance FROM ledger_account WHERE org_id = ${host.orgId} AND code = '1200' AND party_id = ${customerId}
    `.execute(t.database.owner);
    expect(rows[0]?.balance).toBe(0);
    expect(await eventTypesOf(t, invoice.id)).toEqual(['invoice.issued', 'invoice.voided']);

    const again = await http(t).post(`/v1/invoices/${invoice.id}/void`, host.admin, { reason: 'Twice' });
    expect(expectStatus<{ code: string }>(again, 409).code).toBe('invoices.already_void');
  });

  it('refuses to void an invoice with a payment recorded against it', async () => {
    const customerId = await newCustomer(t, host);
    const invoice = await issue(host.admin, { customerId, currency: 'EUR', lines: [lamp] });
    await publishPaymentEvent(t, host.orgId, 'payment.succeeded', { invoiceId: invoice.id, amount: 1000 });
    await delivered();
    expect(await invoiceOf(t, host.admin, invoice.id)).toMatchObject({ status: 'issued', amountPaid: 1000, amountDue: 3500 });

    const refused = await http(t).post(`/v1/invoices/${invoice.id}/void`, host.admin, { reason: 'Changed my mind' });
    expect(expectStatus<{ code: string }>(refused, 409).code).toBe('invoices.paid');
    expect(await postingsOfSource(t, { type: 'invoice', id: invoice.id, event: 'voided' })).toEqual([]);
  });
});

describe('payments against a charge', () => {
  it('marks the invoice paid once the payments cover it, and issued again when one is returned', async () => {
    const customerId = await newCustomer(t, host);
    const invoice = await issue(host.admin, { customerId, currency: 'EUR', lines: [lamp] });
    const first = uuidv7();
    await publishPaymentEvent(t, host.orgId, 'payment.succeeded', { paymentId: first, invoiceId: invoice.id, amount: 2000 });
    await publishPaymentEvent(t, host.orgId, 'payment.succeeded', { invoiceId: invoice.id, amount: 2500 });
    await delivered();
    const paid = await invoiceOf(t, host.admin, invoice.id);
    expect(paid).toMatchObject({ status: 'paid', amountPaid: 4500, amountDue: 0 });
    expect(paid.paidAt).not.toBeNull();
    expect(await invoiceFacts(t.database.db, invoice.id)).toBeUndefined(); // no organization named: nothing shows
    const facts = await transactionAsTenant(t.database.db, host.orgId, (tx) => invoiceFacts(tx, invoice.id));
    expect(facts).toEqual({
      id: invoice.id,
      orgId: host.orgId,
      number: invoice.number,
      status: 'paid',
      customerId,
      currency: 'EUR',
      total: 4500,
      amountPaid: 4500,
      amountDue: 0,
      bookingId: null,
    });

    await publishPaymentEvent(t, host.orgId, 'payment.returned', { paymentId: first, invoiceId: invoice.id, amount: 2000 });
    await delivered();
    expect(await invoiceOf(t, host.admin, invoice.id)).toMatchObject({ status: 'issued', amountPaid: 2500, amountDue: 2000, paidAt: null });
    expect(await eventTypesOf(t, invoice.id)).toEqual([
      'invoice.issued',
      'invoice.payment_applied',
      'invoice.paid',
      'invoice.payment_returned',
    ]);
  });
});

describe('the PDF', () => {
  it('is a valid PDF 1.4 with the invoice number, and marks a paid invoice PAID', async () => {
    const customerId = await newCustomer(t, host, 'Zoë');
    const invoice = await issue(host.admin, {
      customerId,
      currency: 'EUR',
      lines: [{ ...lamp, description: 'Lamp (brass) \\ shade – 1 × “Ω”' }, lateCheckOut],
      taxRateBps: 2300,
      notes: 'Thank you (really)',
    });
    const reply = await http(t).get(`/v1/invoices/${invoice.id}/pdf`, host.admin);
    expect(reply.statusCode).toBe(200);
    expect(reply.headers['content-type']).toBe('application/pdf');
    expect(reply.headers['content-disposition']).toBe(`inline; filename="${invoice.number}.pdf"`);
    const text = expectValidPdf(reply.rawPayload);
    expect(text).toContain(`(${invoice.number})`);
    expect(text).toContain('(Zo\\353 Walker)');
    expect(text).toContain('(Lamp \\(brass\\) \\\\ shade \\226 1 \\327 \\223?\\224)');
    expect(text).toContain('(116.83 EUR)');
    expect(text).toContain('/BaseFont /Helvetica ');
    expect(text).not.toContain('(PAID)');

    await publishPaymentEvent(t, host.orgId, 'payment.succeeded', { invoiceId: invoice.id, amount: 11683 });
    await delivered();
    const paid = expectValidPdf((await http(t).get(`/v1/invoices/${invoice.id}/pdf`, host.admin)).rawPayload);
    expect(paid).toContain('(PAID)');
    expect(paid).toContain('(Status: Paid)');
  });
});

describe('reading invoices', () => {
  it('lists the newest number first, filtered and paged', async () => {
    const org = await newOrganization(t, 'lists');
    const ana = await newCustomer(t, org, 'Ana');
    const bruno = await newCustomer(t, org, 'Bruno');
    const first = await issue(org.admin, { customerId: ana, currency: 'EUR', lines: [lamp] });
    const second = await issue(org.admin, { customerId: bruno, currency: 'EUR', lines: [lamp] });
    const third = await issue(org.admin, { customerId: ana, currency: 'EUR', lines: [lamp], taxRateBps: 1000, taxInclusive: true });
    expectStatus(await http(t).post(`/v1/invoices/${second.id}/void`, org.admin, { reason: 'Duplicate' }), 200);
    const list = async (query: string) =>
      expectStatus<{ data: InvoiceSummary[]; total: number }>(await http(t).get(`/v1/invoices?${query}`, org.admin), 200);

    const all = await list('');
    expect(all.data.map((invoice) => invoice.number)).toEqual([third.number, second.number, first.number]);
    expect(all.data[0]?.includedTax).toBe(409); // 45.00 × 10 / 110 = 4.0909 → 4.09
    expect((await list(`customerId=${ana}`)).data.map((invoice) => invoice.id)).toEqual([third.id, first.id]);
    expect((await list('status=void')).data.map((invoice) => invoice.id)).toEqual([second.id]);
    expect((await list(`from=${first.issueDate}&to=${first.issueDate}`)).total).toBe(3);
    expect((await list('to=2000-01-01')).total).toBe(0);
    const page = await http(t).get('/v1/invoices?pageSize=2&page=2', org.admin);
    expect(expectStatus<{ data: InvoiceSummary[]; total: number }>(page, 200)).toMatchObject({ total: 3, data: [{ id: first.id }] });
    expect(page.headers.link).toContain('rel="prev"');

    const detail = await invoiceOf(t, org.admin, third.id);
    expect(detail.lines).toHaveLength(2);
  });

  it("shows a customer member only their own customers' invoices", async () => {
    const member = await addMember(t, host.admin, host.orgId, 'customer', 'guest');
    const own = await customerOfMember(t, host, member);
    const other = await newCustomer(t, host, 'Other');
    const mine = await issue(host.admin, { customerId: own, currency: 'EUR', lines: [lamp] });
    const theirs = await issue(host.admin, { customerId: other, currency: 'EUR', lines: [lamp] });

    const list = expectStatus<{ data: InvoiceSummary[] }>(await http(t).get('/v1/invoices', member), 200);
    expect(list.data.map((invoice) => invoice.id)).toEqual([mine.id]);
    expect((await invoiceOf(t, member, mine.id)).id).toBe(mine.id);
    expect((await http(t).get(`/v1/invoices/${mine.id}/pdf`, member)).statusCode).toBe(200);
    expect(expectStatus<{ code: string }>(await http(t).get(`/v1/invoices/${theirs.id}`, member), 404).code).toBe('invoices.not_found');
    expect((await http(t).get(`/v1/invoices/${theirs.id}/pdf`, member)).statusCode).toBe(404);
    expect((await http(t).post(`/v1/invoices/${mine.id}/void`, member, { reason: 'Mine' })).statusCode).toBe(403);
    expect((await http(t).post('/v1/invoices', member, { customerId: own, currency: 'EUR', lines: [lamp] })).statusCode).toBe(403);
  });

  it("shows an owner member the invoices of their properties' only", async () => {
    const owner = await addMember(t, host.admin, host.orgId, 'owner', 'owner');
    const stay = await createStay(t, host, { ownerUserId: owner.userId });
    const customerId = await newCustomer(t, host);
    const ofProperty = await issue(host.admin, { customerId, currency: 'EUR', lines: [lamp], propertyId: stay.propertyId });
    expect(ofProperty.seller).toMatchObject({ propertyId: stay.propertyId, name: 'Harbour House', city: 'Lisbon', country: 'PT' });
    const unrelated = await issue(host.admin, { customerId, currency: 'EUR', lines: [lamp] });

    const list = expectStatus<{ data: InvoiceSummary[] }>(await http(t).get('/v1/invoices', owner), 200);
    expect(list.data.map((invoice) => invoice.id)).toEqual([ofProperty.id]);
    expect((await http(t).get(`/v1/invoices/${unrelated.id}`, owner)).statusCode).toBe(404);
  });

  it("answers 404 for another organization's invoice", async () => {
    const customerId = await newCustomer(t, host);
    const invoice = await issue(host.admin, { customerId, currency: 'EUR', lines: [lamp] });
    const stranger = await newOrganization(t, 'stranger');
    for (const reply of [
      await http(t).get(`/v1/invoices/${invoice.id}`, stranger.admin),
      await http(t).get(`/v1/invoices/${invoice.id}/pdf`, stranger.admin),
      await http(t).post(`/v1/invoices/${invoice.id}/void`, stranger.admin, { reason: 'Not mine' }),
    ]) {
      expect(expectStatus<{ code: string }>(reply, 404).code).toBe('invoices.not_found');
    }
    expect(expectStatus<{ total: number }>(await http(t).get('/v1/invoices', stranger.admin), 200).total).toBe(0);
    const foreignCustomer = await http(t).post('/v1/invoices', stranger.admin, { customerId, currency: 'EUR', lines: [lamp] });
    expect(expectStatus<{ code: string }>(foreignCustomer, 404).code).toBe('invoices.customer_not_found');
  });
});
