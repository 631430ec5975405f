import { callerOfRequest } from '../../platform/audit/change.ts';
import { sendPage } from '../../platform/http/pagination.ts';
import type { App } from '../../platform/http/server.ts';
import { accessOf, requirePermission } from '../organizations/index.ts';
import {
  getAccount,
  getEntry,
  getStatement,
  listAccounts,
  listBalanceChecks,
  listEntries,
  postStaffEntry,
  reverseStaffEntry,
  trialBalance,
} from './reads.ts';
import {
  AccountListQuery,
  AccountPage,
  AccountParams,
  AccountReply,
  BalanceCheckPage,
  BalanceCheckQuery,
  EntryListQuery,
  EntryPage,
  EntryParams,
  EntryReply,
  ManualEntryBody,
  ReverseBody,
  StatementPage,
  StatementQuery,
  TrialBalanceQuery,
  TrialBalanceReply,
} from './schemas.ts';

const ledger = { tags: ['ledger'] };

export function ledgerRoutes(app: App): void {
  app.get(
    '/v1/ledger/accounts',
    {
      preHandler: requirePermission('ledger', 'read'),
      schema: {
        ...ledger,
        summary: 'The ledger accounts opened so far, with their balances (on their normal side), debits and credits',
        querystring: AccountListQuery,
        response: { 200: AccountPage },
      },
    },
    async (request, reply) => {
      const { data, total } = await request.read((tx) => listAccounts(tx, request.query));
      return sendPage(request, reply, request.query, data, total);
    },
  );

  app.get(
    '/v1/ledger/accounts/:accountId',
    {
      preHandler: requirePermission('ledger', 'read'),
      schema: { ...ledger, summary: 'A ledger account', params: AccountParams, response: { 200: AccountReply } },
    },
    async (request) => request.read((tx) => getAccount(tx, request.params.accountId)),
  );

  app.get(
    '/v1/ledger/accounts/:accountId/postings',
    {
      preHandler: requirePermission('ledger', 'read'),
      schema: {
        ...ledger,
        summary: "The account's statement: its postings newest first, each with the balance after it",
        params: AccountParams,
        querystring: StatementQuery,
        response: { 200: StatementPage },
      },
    },
    async (request, reply) => {
      const { data, total } = await request.read((tx) => getStatement(tx, request.params.accountId, request.query));
      return sendPage(request, reply, request.query, data, total);
    },
  );

  app.get(
    '/v1/ledger/entries',
    {
      preHandler: requirePermission('ledger', 'read'),
      schema: {
        ...ledger,
        summary: 'Journal entries, the latest posted first; by source, or effective within [from, to)',
        querystring: EntryListQuery,
        response: { 200: EntryPage },
      },
    },
    async (request, reply) => {
      const { orgId } = accessOf(request);
      const { data, total } = await request.read((tx) => listEntries(tx, orgId, request.query));
      return sendPage(request, reply, request.query, data, total);
    },
  );

  app.get(
    '/v1/ledger/entries/:entryId',
    {
      preHandler: requirePermission('ledger', 'read'),
      schema: { ...ledger, summary: 'A journal entry with its postings', params: EntryParams, response: { 200: EntryReply } },
    },
    async (request) => request.read((tx) => getEntry(tx, accessOf(request).orgId, request.params.entryId)),
  );

  app.post(
    '/v1/ledger/entries',
    {
      preHandler: requirePermission('ledger', 'post'),
      schema: {
        ...ledger,
        summary: 'Post a manual journal entry: postings by account code, currency and party, a debit positive and a credit negative',
        body: ManualEntryBody,
        response: { 201: EntryReply },
      },
    },
    async (request, reply) => {
      const { orgId } = accessOf(request);
      const posted = await request.transaction((tx) => postStaffEntry(tx, callerOfRequest(request), orgId, request.body));
      return reply.code(201).send(posted);
    },
  );

  app.post(
    '/v1/ledger/entries/:entryId/reverse',
    {
      preHandler: requirePermission('ledger', 'reverse'),
      schema: {
        ...ledger,
        summary: 'Reverse a journal entry: a new entry with every amount negated; an entry is reversed once, a reversal never',
        params: EntryParams,
        body: ReverseBody,
        response: { 201: EntryReply },
      },
    },
    async (request, reply) => {
      const { orgId } = accessOf(request);
      const reversal = await request.transaction((tx) =>
        reverseStaffEntry(tx, callerOfRequest(request), { orgId, entryId: request.params.entryId, reason: request.body.reason }),
      );
      return reply.code(201).send(reversal);
    },
  );

  app.get(
    '/v1/ledger/trial-balance',
    {
      preHandler: requirePermission('ledger', 'read'),
      schema: {
        ...ledger,
        summary: "Each account's debits, credits and balance summed from its postings, and whether debits equal credits in each currency",
        querystring: TrialBalanceQuery,
        response: { 200: TrialBalanceReply },
      },
    },
    async (request) => request.read((tx) => trialBalance(tx, request.query)),
  );

  app.get(
    '/v1/ledger/balance-checks',
    {
      preHandler: requirePermission('ledger', 'read'),
      schema: {
        ...ledger,
        summary: "The latest runs of the hourly check of every account's kept balance against its postings",
        querystring: BalanceCheckQuery,
        response: { 200: BalanceCheckPage },
      },
    },
    async (request, reply) => {
      const { data, total } = await request.read((tx) => listBalanceChecks(tx, request.query));
      return sendPage(request, reply, request.query, data, total);
    },
  );
}
