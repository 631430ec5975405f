import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { callerOfRequest } from '../../platform/audit/change.ts';
import { dataEncryptionKeys } from '../../platform/config.ts';
import { principalOf, requireUser } from '../../platform/http/authentication.ts';
import { offsetOf, PageQuery, pageOf, sendPage } from '../../platform/http/pagination.ts';
import type { App } from '../../platform/http/server.ts';
import { isCurrency } from '../../platform/money.ts';
import type { ModuleDependencies } from '../../platform/module.ts';
import { permittedAccess, requirePermission, type Scope } from '../organizations/index.ts';
import {
  addBankAccount,
  type BankAccountAuthority,
  deactivateBankAccount,
  getBankAccount,
  type HolderType,
  holderTypes,
  listBankAccounts,
  reachOf,
  setPrimaryBankAccount,
} from './bank-accounts.ts';

const HolderTypeSchema = z.enum(holderTypes);

export const CreateBankAccountBody = z
  .strictObject({
    holderType: HolderTypeSchema,
    /** The owner or customer; left out for the organization's own accounts. */
    holderId: z.uuid().optional(),
    holderName: z.string().trim().min(1).max(200),
    bankName: z.string().trim().min(1).max(200).nullish(),
    country: z
      .string()
      .trim()
      .toUpperCase()
      .regex(/^[A-Z]{2}$/, 'Must be an ISO 3166-1 alpha-2 country code, such as US'),
    currency: z.string().trim().toUpperCase().refine(isCurrency, 'Must be an ISO 4217 currency code, such as USD'),
    accountType: z.enum(['checking', 'savings']),
    /** ABA routing number (US), sort code (UK), bank code or BIC; optional with an IBAN. */
    routingNumber: z.string().trim().min(1).max(40).nullish(),
    /** Sealed at rest; only its last four characters are ever shown. */
    accountNumber: z.string().trim().min(1).max(64),
    makePrimary: z.boolean().optional(),
  })
  .refine((body) => (body.holderType === 'organization') === (body.holderId === undefined), {
    message: 'holderId names the owner or customer, and is left out for the organization’s own accounts',
    path: ['holderId'],
  });
export type CreateBankAccountBody = z.infer<typeof CreateBankAccountBody>;

export const BankAccountParams = z.object({ bankAccountId: z.uuid() });

export const BankAccountListQuery = PageQuery.extend({
  holderType: HolderTypeSchema.optional(),
  holderId: z.uuid().optional(),
  active: z.stringbool().optional(),
});

export const BankAccountReply = z.object({
  id: z.uuid(),
  holderType: HolderTypeSchema,
  holderId: z.uuid().nullable(),
  holderName: z.string(),
  bankName: z.string().nullable(),
  country: z.string(),
  currency: z.string(),
  accountType: z.enum(['checking', 'savings']),
  routingNumber: z.string().nullable(),
  accountNumberLast4: z.string(),
  isPrimary: z.boolean(),
  active: z.boolean(),
  deactivatedAt: z.iso.datetime().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

const BankAccountPage = pageOf(BankAccountReply);

type Intent = 'read' | 'change';

/**
 * The permission each holder's accounts need: an owner's and the organization's are payouts'
 * (read, create), a customer's are payments' (read, create).
 */
const guards: Record<'payouts' | 'payments', Record<Intent, ReturnType<typeof requirePermission>>> = {
  payouts: { read: requirePermission('payouts', 'read'), change: requirePermission('payouts', 'create') },
  payments: { read: requirePermission('payments', 'read'), change: requirePermission('payments', 'create') },
};
const resourceOf = (holderType: HolderType) => (holderType === 'customer' ? 'payments' : 'payouts');

function scopeOf(request: FastifyRequest, holderType: HolderType, intent: Intent): Scope | undefined {
  const action = intent === 'read' ? 'read' : 'create';
  return resourceOf(holderType) === 'payments'
    ? permittedAccess(request, 'payments', action)?.scope
    : permittedAccess(request, 'payouts', action)?.scope;
}

/**
 * What the caller may do with the accounts of each holder type (or the one named). With nothing,
 * the permission check refuses with its own 401 or 403; an account of a type the caller may not act
 * on then reads as not found, like one outside their scope.
 */
async function authorityOf(request: FastifyRequest, intent: Intent, only?: HolderType): Promise<BankAccountAuthority> {
  const types = only ? [only] : holderTypes;
  const scopes: BankAccountAuthority['scopes'] = {};
  for (const type of types) {
    const scope = scopeOf(request, type, intent);
    if (scope) scopes[type] = scope;
  }
  if (Object.keys(scopes).length === 0) await guards[resourceOf(only ?? holderTypes[0])][intent](request);
  return { userId: principalOf(request).userId, scopes };
}

const bankAccounts = { tags: ['bank accounts'] };

export function bankAccountRoutes(app: App, dependencies: ModuleDependencies): void {
  const keys = dataEncryptionKeys(dependencies.config);

  app.post(
    '/v1/bank-accounts',
    {
      preHandler: requireUser,
      schema: {
        ...bankAccounts,
        summary:
          'Add a bank account of an owner (payouts:create), a customer (payments:create) or the organization (payouts:create); the first of a holder is primary',
        body: CreateBankAccountBody,
        response: { 201: BankAccountReply },
      },
    },
    async (request, reply) => {
      const authority = await authorityOf(request, 'change', request.body.holderType);
      const created = await request.transaction(async (tx) =>
        addBankAccount(tx, { input: request.body, reach: await reachOf(tx, authority), keys, actor: callerOfRequest(request) }),
      );
      return reply.code(201).send(created);
    },
  );

  app.get(
    '/v1/bank-accounts',
    {
      preHandler: requireUser,
      schema: {
        ...bankAccounts,
        summary: 'Bank accounts the caller may read, primary first, then newest; by holder and whether active',
        querystring: BankAccountListQuery,
        response: { 200: BankAccountPage },
      },
    },
    async (request, reply) => {
      const { query } = request;
      const authority = await authorityOf(request, 'read', query.holderType);
      const { data, total } = await request.read(async (tx) =>
        listBankAccounts(
          tx,
          { holderType: query.holderType, holderId: query.holderId, active: query.active, ...offsetOf(query) },
          await reachOf(tx, authority),
        ),
      );
      return sendPage(request, reply, query, data, total);
    },
  );

  app.get(
    '/v1/bank-accounts/:bankAccountId',
    {
      preHandler: requireUser,
      schema: {
        ...bankAccounts,
        summary: 'A bank account (its number’s last four characters only)',
        params: BankAccountParams,
        response: { 200: BankAccountReply },
      },
    },
    async (request) => {
      const authority = await authorityOf(request, 'read');
      return request.read(async (tx) => getBankAccount(tx, request.params.bankAccountId, await reachOf(tx, authority)));
    },
  );

  app.post(
    '/v1/bank-accounts/:bankAccountId/set-primary',
    {
      preHandler: requireUser,
      schema: {
        ...bankAccounts,
        summary: 'Make an active account its holder’s primary one',
        params: BankAccountParams,
        response: { 200: BankAccountReply },
      },
    },
    async (request) => {
      const authority = await authorityOf(request, 'change');
      return request.transaction(async (tx) =>
        setPrimaryBankAccount(tx, {
          bankAccountId: request.params.bankAccountId,
          reach: await reachOf(tx, authority),
          actor: callerOfRequest(request),
        }),
      );
    },
  );

  app.post(
    '/v1/bank-accounts/:bankAccountId/deactivate',
    {
      preHandler: requireUser,
      schema: {
        ...bankAccounts,
        summary: 'Deactivate an account; a primary one hands primacy to the holder’s newest other active account',
        params: BankAccountParams,
        response: { 200: BankAccountReply },
      },
    },
    async (request) => {
      const authority = await authorityOf(request, 'change');
      return request.transaction(async (tx) =>
        deactivateBankAccount(tx, {
          bankAccountId: request.params.bankAccountId,
          reach: await reachOf(tx, authority),
          actor: callerOfRequest(request),
        }),
      );
    },
  );
}
