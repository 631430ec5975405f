import { callerOfRequest } from '../../platform/audit/change.ts';
import { sendPage } from '../../platform/http/pagination.ts';
import type { App } from '../../platform/http/server.ts';
import type { FastifyRequest } from 'fastify';
import { accessOf, requirePermission } from '../organizations/index.ts';
import { planNights, updateNights } from './calendar.ts';
import { createRatePlan, deleteRatePlan, getRatePlan, listRatePlans, updateRatePlan } from './plans.ts';
import { createPolicy, deletePolicy, getPolicy, listPolicies, presetList, updatePolicy } from './policies.ts';
import {
  CreatePolicyBody,
  CreateRatePlanBody,
  CreateSeasonBody,
  CreateTaxBody,
  NightsQuery,
  NightsReply,
  PageQuery,
  PolicyPage,
  PolicyParams,
  PolicyReply,
  PresetListReply,
  PropertyParams,
  RatePlanPage,
  RatePlanParams,
  RatePlanReply,
  SeasonPage,
  SeasonParams,
  SeasonReply,
  TaxPage,
  TaxParams,
  TaxReply,
  UnitTypeParams,
  UpdateNightsBody,
  UpdatePolicyBody,
  UpdateRatePlanBody,
  UpdateTaxBody,
} from './schemas.ts';
import { createSeason, deleteSeason, listSeasons } from './seasons.ts';
import { createTax, deleteTax, getTax, listTaxes, updateTax } from './taxes.ts';

const tags = { rates: { tags: ['rates'] }, taxes: { tags: ['taxes'] }, policies: { tags: ['cancellation policies'] } };
const can = (action: 'read' | 'create' | 'update' | 'delete') => ({ preHandler: requirePermission('rates', action) });
const acting = (request: FastifyRequest) => ({ access: accessOf(request), caller: callerOfRequest(request) });

export function pricingRoutes(app: App): void {
  // --- rate plans ----------------------------------------------------------------------------------
  app.post(
    '/v1/unit-types/:unitTypeId/rate-plans',
    {
      ...can('create'),
      schema: {
        ...tags.rates,
        summary: "Create a rate plan for a unit type, in its property's currency; the first plan is the default",
        params: UnitTypeParams,
        body: CreateRatePlanBody,
        response: { 201: RatePlanReply },
      },
    },
    async (request, reply) => {
      const plan = await request.transaction((tx) =>
        createRatePlan(tx, acting(request), { unitTypeId: request.params.unitTypeId, body: request.body }),
      );
      return reply.code(201).send(plan);
    },
  );

  app.get(
    '/v1/unit-types/:unitTypeId/rate-plans',
    {
      ...can('read'),
      schema: {
        ...tags.rates,
        summary: "The unit type's rate plans, the default first",
        params: UnitTypeParams,
        querystring: PageQuery,
        response: { 200: RatePlanPage },
      },
    },
    async (request, reply) => {
      const { data, total } = await request.read((tx) =>
        listRatePlans(tx, accessOf(request), { unitTypeId: request.params.unitTypeId, query: request.query }),
      );
      return sendPage(request, reply, request.query, data, total);
    },
  );

  app.get(
    '/v1/rate-plans/:ratePlanId',
    { ...can('read'), schema: { ...tags.rates, summary: 'A rate plan', params: RatePlanParams, response: { 200: RatePlanReply } } },
    async (request) => request.read((tx) => getRatePlan(tx, accessOf(request), request.params.ratePlanId)),
  );

  app.patch(
    '/v1/rate-plans/:ratePlanId',
    {
      ...can('update'),
      schema: {
        ...tags.rates,
        summary: 'Change a rate plan; `isDefault: true` makes it the default of its unit type',
        params: RatePlanParams,
        body: UpdateRatePlanBody,
        response: { 200: RatePlanReply },
      },
    },
    async (request) =>
      request.transaction((tx) => updateRatePlan(tx, acting(request), { ratePlanId: request.params.ratePlanId, body: request.body })),
  );

  app.delete(
    '/v1/rate-plans/:ratePlanId',
    {
      ...can('delete'),
      schema: {
        ...tags.rates,
        summary: 'Delete a rate plan with its seasons and nights; the oldest other plan becomes the default',
        params: RatePlanParams,
      },
    },
    async (request, reply) => {
      await request.transaction((tx) => deleteRatePlan(tx, acting(request), request.params.ratePlanId));
      return reply.code(204).send();
    },
  );

  // --- seasons -------------------------------------------------------------------------------------
  app.post(
    '/v1/rate-plans/:ratePlanId/seasons',
    {
      ...can('create'),
      schema: {
        ...tags.rates,
        summary: 'Add a season: its price replaces the plan’s over [from, to); seasons of a plan never overlap',
        params: RatePlanParams,
        body: CreateSeasonBody,
        response: { 201: SeasonReply },
      },
    },
    async (request, reply) => {
      const season = await request.transaction((tx) =>
        createSeason(tx, acting(request), { ratePlanId: request.params.ratePlanId, body: request.body }),
      );
      return reply.code(201).send(season);
    },
  );

  app.get(
    '/v1/rate-plans/:ratePlanId/seasons',
    {
      ...can('read'),
      schema: {
        ...tags.rates,
        summary: "The plan's seasons in date order",
        params: RatePlanParams,
        querystring: PageQuery,
        response: { 200: SeasonPage },
      },
    },
    async (request, reply) => {
      const { data, total } = await request.read((tx) =>
        listSeasons(tx, accessOf(request), { ratePlanId: request.params.ratePlanId, query: request.query }),
      );
      return sendPage(request, reply, request.query, data, total);
    },
  );

  app.delete(
    '/v1/rate-seasons/:seasonId',
    { ...can('delete'), schema: { ...tags.rates, summary: 'Delete a season', params: SeasonParams } },
    async (request, reply) => {
      await request.transaction((tx) => deleteSeason(tx, acting(request), request.params.seasonId));
      return reply.code(204).send();
    },
  );

  // --- nights --------------------------------------------------------------------------------------
  app.put(
    '/v1/rate-plans/:ratePlanId/nights',
    {
      ...can('update'),
      schema: {
        ...tags.rates,
        summary: 'Set prices and restrictions on a range of nights (optionally only some weekdays); omitted fields stay, null clears',
        params: RatePlanParams,
        body: UpdateNightsBody,
        response: { 200: NightsReply },
      },
    },
    async (request) =>
      request.transaction((tx) => updateNights(tx, acting(request), { ratePlanId: request.params.ratePlanId, body: request.body })),
  );

  app.get(
    '/v1/rate-plans/:ratePlanId/nights',
    {
      ...can('read'),
      schema: {
        ...tags.rates,
        summary: 'Each night of [from, to): its price (night > season weekday > season > plan weekday > base) and restrictions',
        params: RatePlanParams,
        querystring: NightsQuery,
        response: { 200: NightsReply },
      },
    },
    async (request) =>
      request.read((tx) => planNights(tx, accessOf(request), { ratePlanId: request.params.ratePlanId, query: request.query })),
  );

  // --- taxes ---------------------------------------------------------------------------------------
  app.post(
    '/v1/properties/:propertyId/taxes',
    {
      ...can('create'),
      schema: {
        ...tags.taxes,
        summary: 'Add a tax to a property: a percentage (inclusive or exclusive), per night, or per guest per night',
        params: PropertyParams,
        body: CreateTaxBody,
        response: { 201: TaxReply },
      },
    },
    async (request, reply) => {
      const tax = await request.transaction((tx) =>
        createTax(tx, acting(request), { propertyId: request.params.propertyId, body: request.body }),
      );
      return reply.code(201).send(tax);
    },
  );

  app.get(
    '/v1/properties/:propertyId/taxes',
    {
      ...can('read'),
      schema: {
        ...tags.taxes,
        summary: "The property's taxes, in the order quotes list them",
        params: PropertyParams,
        querystring: PageQuery,
        response: { 200: TaxPage },
      },
    },
    async (request, reply) => {
      const { data, total } = await request.read((tx) =>
        listTaxes(tx, accessOf(request), { propertyId: request.params.propertyId, query: request.query }),
      );
      return sendPage(request, reply, request.query, data, total);
    },
  );

  app.get(
    '/v1/taxes/:taxId',
    { ...can('read'), schema: { ...tags.taxes, summary: 'A tax', params: TaxParams, response: { 200: TaxReply } } },
    async (request) => request.read((tx) => getTax(tx, accessOf(request), request.params.taxId)),
  );

  app.patch(
    '/v1/taxes/:taxId',
    {
      ...can('update'),
      schema: { ...tags.taxes, summary: 'Change a tax', params: TaxParams, body: UpdateTaxBody, response: { 200: TaxReply } },
    },
    async (request) => request.transaction((tx) => updateTax(tx, acting(request), { taxId: request.params.taxId, body: request.body })),
  );

  app.delete(
    '/v1/taxes/:taxId',
    { ...can('delete'), schema: { ...tags.taxes, summary: 'Delete a tax', params: TaxParams } },
    async (request, reply) => {
      await request.transaction((tx) => deleteTax(tx, acting(request), request.params.taxId));
      return reply.code(204).send();
    },
  );

  // --- cancellation policies -----------------------------------------------------------------------
  app.get(
    '/v1/cancellation-policies/presets',
    {
      schema: {
        ...tags.policies,
        summary: 'The preset cancellation policies and what each refunds (public)',
        response: { 200: PresetListReply },
      },
    },
    async () => presetList(),
  );

  app.post(
    '/v1/cancellation-policies',
    {
      ...can('create'),
      schema: {
        ...tags.policies,
        summary: "Create one of the organization's own cancellation policies",
        body: CreatePolicyBody,
        response: { 201: PolicyReply },
      },
    },
    async (request, reply) => {
      const policy = await request.transaction((tx) => createPolicy(tx, acting(request), request.body));
      return reply.code(201).send(policy);
    },
  );

  app.get(
    '/v1/cancellation-policies',
    {
      ...can('read'),
      schema: {
        ...tags.policies,
        summary: "The organization's own cancellation policies, by name",
        querystring: PageQuery,
        response: { 200: PolicyPage },
      },
    },
    async (request, reply) => {
      const { data, total } = await request.read((tx) => listPolicies(tx, request.query));
      return sendPage(request, reply, request.query, data, total);
    },
  );

  app.get(
    '/v1/cancellation-policies/:policyId',
    {
      ...can('read'),
      schema: { ...tags.policies, summary: 'A cancellation policy', params: PolicyParams, response: { 200: PolicyReply } },
    },
    async (request) => request.read((tx) => getPolicy(tx, request.params.policyId)),
  );

  app.patch(
    '/v1/cancellation-policies/:policyId',
    {
      ...can('update'),
      schema: {
        ...tags.policies,
        summary: 'Change a cancellation policy (bookings keep the policy they were made under)',
        params: PolicyParams,
        body: UpdatePolicyBody,
        response: { 200: PolicyReply },
      },
    },
    async (request) =>
      request.transaction((tx) => updatePolicy(tx, acting(request), { policyId: request.params.policyId, body: request.body })),
  );

  app.delete(
    '/v1/cancellation-policies/:policyId',
    { ...can('delete'), schema: { ...tags.policies, summary: 'Delete a cancellation policy', params: PolicyParams } },
    async (request, reply) => {
      await request.transaction((tx) => deletePolicy(tx, acting(request), request.params.policyId));
      return reply.code(204).send();
    },
  );
}
