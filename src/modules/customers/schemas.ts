import { z } from 'zod';
import { PageQuery, pageOf } from '../../platform/http/pagination.ts';
import { e164, isCountryCode, normalizeEmail, normalizePhone } from './contact.ts';

/** Request and reply schemas; each schema and its inferred type share one name. */

const Name = z.string().trim().min(1).max(100);
const Email = z
  .string()
  .max(254)
  .transform(normalizeEmail)
  .pipe(z.email({ message: 'Must be an e-mail address' }));
const Phone = z
  .string()
  .max(40)
  .transform(normalizePhone)
  .pipe(z.string().regex(e164, 'Must be a phone number in international (E.164) form, such as +447700900123'));
const DateOfBirth = z.iso
  .date()
  .refine((date) => date >= '1900-01-01' && date <= new Date().toISOString().slice(0, 10), 'Must be a date of birth in the past');
const Nationality = z.string().trim().toUpperCase().refine(isCountryCode, 'Must be an ISO 3166-1 alpha-2 country code, such as GB');
const Notes = z.string().max(4000);

export const CustomerParams = z.object({ customerId: z.uuid() });
export type CustomerParams = z.infer<typeof CustomerParams>;

export const CreateCustomerBody = z.strictObject({
  firstName: Name,
  lastName: Name,
  email: Email.nullish(),
  phone: Phone.nullish(),
  dateOfBirth: DateOfBirth.nullish(),
  nationality: Nationality.nullish(),
  notes: Notes.nullish(),
});
export type CreateCustomerBody = z.infer<typeof CreateCustomerBody>;

/** What PATCH changes; null clears an optional field. */
export const UpdateCustomerBody = z.strictObject({
  firstName: Name.optional(),
  lastName: Name.optional(),
  email: Email.nullable().optional(),
  phone: Phone.nullable().optional(),
  dateOfBirth: DateOfBirth.nullable().optional(),
  nationality: Nationality.nullable().optional(),
  notes: Notes.nullable().optional(),
});
export type UpdateCustomerBody = z.infer<typeof UpdateCustomerBody>;

export const BlacklistBody = z.strictObject({ reason: z.string().trim().min(1).max(1000) });
export type BlacklistBody = z.infer<typeof BlacklistBody>;

export const MergeBody = z.strictObject({
  /** The record merged away: the path's customer keeps its id and absorbs it. */
  duplicateCustomerId: z.uuid(),
});
export type MergeBody = z.infer<typeof MergeBody>;

export const CustomerListQuery = PageQuery.extend({
  /** Part of a name (also by similarity), of an e-mail address or of a phone number. */
  q: z.string().trim().min(1).max(200).optional(),
  blacklisted: z.stringbool().optional(),
  /** Merged records are left out unless asked for. */
  includeMerged: z.stringbool().default(false),
});
export type CustomerListQuery = z.infer<typeof CustomerListQuery>;

export const CustomerReply = z.object({
  id: z.uuid(),
  /** The customer's own login, when they book for themselves. */
  userId: z.uuid().nullable(),
  firstName: z.string(),
  lastName: z.string(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  dateOfBirth: z.iso.date().nullable(),
  nationality: z.string().nullable(),
  notes: z.string().nullable(),
  kycStatus: z.enum(['not_started', 'pending', 'verified', 'rejected']),
  blacklisted: z.boolean(),
  blacklistReason: z.string().nullable(),
  blacklistedAt: z.iso.datetime().nullable(),
  mergedIntoId: z.uuid().nullable(),
  mergedAt: z.iso.datetime().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type CustomerReply = z.infer<typeof CustomerReply>;

export const CreatedCustomerReply = CustomerReply.extend({
  /** Other live records of the organization with the same e-mail address: candidates for a merge. */
  possibleDuplicates: z.array(z.uuid()),
});
export type CreatedCustomerReply = z.infer<typeof CreatedCustomerReply>;

export const CustomerPage = pageOf(CustomerReply);
