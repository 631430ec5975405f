import { type Caller, recordChange } from '../../platform/audit/change.ts';
import type { Queryable, Tx } from '../../platform/db/database.ts';
import { offsetOf, type PageQuery } from '../../platform/http/pagination.ts';
import { uuidv7 } from '../../platform/ids.ts';
import type { Access } from '../organizations/index.ts';
import { cancellationPresets, rulesOf } from './cancellation.ts';
import { pricingErrors } from './errors.ts';
import { source } from './plans.ts';
import type { CreatePolicyBody, PolicyReply, UpdatePolicyBody } from './schemas.ts';
import { policyOf } from './scope.ts';
import {
  constraintError,
  countPolicies,
  deletePolicy as deletePolicyRow,
  insertPolicy,
  policiesOfOrganization,
  type PolicyRow,
  updatePolicy as updatePolicyRow,
} from './store.ts';
import { type CancellationPresetName, cancellationPresetNames } from './types.ts';

/** The presets, public data: what each one refunds, per rental mode. */
export function presetList() {
  return {
    data: cancellationPresetNames.map((name: CancellationPresetName) => ({ name, ...structuredClone(cancellationPresets[name]) })),
  };
}

export function toPolicyReply(row: PolicyRow): PolicyReply {
  return {
    id: row.id,
    name: row.name,
    rules: rulesOf(row.rules),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

function auditState(row: PolicyRow): Record<string, unknown> {
  return { id: row.id, name: row.name, rules: row.rules };
}

function nameTaken(error: unknown): never {
  if (constraintError(error)?.code === '23505') throw pricingErrors.raise('policy_name_taken');
  throw error;
}

type Acting = { access: Access; caller: Caller };

async function recordPolicyChange(
  tx: Tx,
  caller: Caller,
  change: { action: 'CREATE' | 'UPDATE' | 'DELETE'; policy: PolicyRow; before?: PolicyRow },
) {
  const { policy } = change;
  const what = { CREATE: 'created', UPDATE: 'updated', DELETE: 'deleted' }[change.action];
  await recordChange(tx, caller, {
    orgId: policy.orgId,
    action: change.action,
    entityType: 'cancellation_policy',
    entityId: policy.id,
    before: change.before ? auditState(change.before) : null,
    after: change.action === 'DELETE' ? null : auditState(policy),
    event: { type: `cancellation_policy.${what}`, source, data: { policyId: policy.id, name: policy.name } },
  });
}

export async function createPolicy(tx: Tx, { access, caller }: Acting, body: CreatePolicyBody): Promise<PolicyReply> {
  const policy = await insertPolicy(tx, { id: uuidv7(), orgId: access.orgId, name: body.name, rules: body.rules }).catch(nameTaken);
  await recordPolicyChange(tx, caller, { action: 'CREATE', policy });
  return toPolicyReply(policy);
}

export async function listPolicies(db: Queryable, query: PageQuery) {
  const rows = await policiesOfOrganization(db, offsetOf(query));
  return { data: rows.map(toPolicyReply), total: await countPolicies(db) };
}

export async function getPolicy(db: Queryable, policyId: string): Promise<PolicyReply> {
  return toPolicyReply(await policyOf(db, policyId));
}

/** Changes a policy. Bookings keep the snapshot they were made with, so a change applies to later bookings only. */
export async function updatePolicy(tx: Tx, { caller }: Acting, input: { policyId: string; body: UpdatePolicyBody }): Promise<PolicyReply> {
  const before = await policyOf(tx, input.policyId, { forUpdate: true });
  const after = await updatePolicyRow(tx, before.id, input.body).catch(nameTaken);
  await recordPolicyChange(tx, caller, { action: 'UPDATE', policy: after, before });
  return toPolicyReply(after);
}

export async function deletePolicy(tx: Tx, { caller }: Acting, policyId: string): Promise<void> {
  const policy = await policyOf(tx, policyId, { forUpdate: true });
  await deletePolicyRow(tx, policy.id);
  await recordPolicyChange(tx, caller, { action: 'DELETE', policy, before: policy });
}
