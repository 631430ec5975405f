import { bookingErrors } from './errors.ts';

/**
 * The booking state machine, as data: every status a booking may be in, and every transition
 * (action, from, to) it may make. Nothing else changes a booking's status.
 *
 *     pending ──approve──▶ approved ──confirm──▶ confirmed ──check_in──▶ checked_in ──check_out──▶ checked_out ──complete──▶ completed
 *        │                    │                     │  └──no_show──▶ no_show
 *        ├──decline──▶ declined                     │
 *        └───────cancel / expire──────┴──cancel─────┴──▶ cancelled
 */
export const bookingStatuses = [
  'pending',
  'approved',
  'confirmed',
  'checked_in',
  'checked_out',
  'completed',
  'declined',
  'cancelled',
  'no_show',
] as const;
export type BookingStatus = (typeof bookingStatuses)[number];

export const bookingActions = [
  'approve',
  'decline',
  'confirm',
  'cancel',
  'expire',
  'check_in',
  'check_out',
  'complete',
  'no_show',
] as const;
export type BookingAction = (typeof bookingActions)[number];

export interface Transition {
  action: BookingAction;
  from: BookingStatus;
  to: BookingStatus;
}

/** The transition table. `expire` is the hold-expiry job's cancellation (reason `timeout`). */
export const transitions: readonly Transition[] = [
  { action: 'approve', from: 'pending', to: 'approved' },
  { action: 'decline', from: 'pending', to: 'declined' },
  { action: 'confirm', from: 'approved', to: 'confirmed' },
  { action: 'cancel', from: 'pending', to: 'cancelled' },
  { action: 'cancel', from: 'approved', to: 'cancelled' },
  { action: 'cancel', from: 'confirmed', to: 'cancelled' },
  { action: 'expire', from: 'pending', to: 'cancelled' },
  { action: 'expire', from: 'approved', to: 'cancelled' },
  { action: 'check_in', from: 'confirmed', to: 'checked_in' },
  { action: 'check_out', from: 'checked_in', to: 'checked_out' },
  { action: 'complete', from: 'checked_out', to: 'completed' },
  { action: 'no_show', from: 'confirmed', to: 'no_show' },
];

/** Statuses no transition leaves. */
export const terminalStatuses: readonly BookingStatus[] = bookingStatuses.filter(
  (status) => !transitions.some((transition) => transition.from === status),
);

/** Statuses in which a booking occupies its unit (a hold, a booking or a lease). */
export const occupyingStatuses: readonly BookingStatus[] = ['pending', 'approved', 'confirmed', 'checked_in'];

/** Statuses whose dates, guests and unit may still change. */
export const changeableStatuses: readonly BookingStatus[] = ['pending', 'approved', 'confirmed', 'checked_in'];

export function isBookingStatus(value: string): value is BookingStatus {
  return (bookingStatuses as readonly string[]).includes(value);
}

/** Where the action takes a booking in this status, or undefined when the table has no such transition. */
export function nextStatus(from: BookingStatus, action: BookingAction): BookingStatus | undefined {
  return transitions.find((transition) => transition.from === from && transition.action === action)?.to;
}

/** The status the action leads to, or 409 `booking.illegal_transition` naming both ends. */
export function requireTransition(from: BookingStatus, action: BookingAction): BookingStatus {
  const to = nextStatus(from, action);
  if (to === undefined) {
    const target = targetOf(action);
    throw bookingErrors.raise('illegal_transition', `A ${from} booking cannot go to ${target} (${action})`);
  }
  return to;
}

/** The status an action aims at, whatever the status it starts from. */
export function targetOf(action: BookingAction): BookingStatus {
  return transitions.find((transition) => transition.action === action)!.to;
}
