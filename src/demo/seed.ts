import type { Config } from '../platform/config.ts';
import { type PlainDate, firstOfNextMonth, todayIn } from '../platform/dates.ts';
import type { Database } from '../platform/db/database.ts';
import { findUserByEmail } from '../modules/identity/index.ts';
import { grantPlatformAdmin, platformOrganizationId } from '../modules/organizations/index.ts';
import { deliverDueSandboxEvents, paymentsContext, releaseDueEscrow } from '../modules/payments/index.ts';
import { type Caller, type Created, type DemoClient, demoClient, type InjectingApp } from './client.ts';

/**
 * The demo's story, told through the public API: Harbour Stays runs a small hotel in Lisbon and a
 * block of apartments in Nairobi let by the month and on leases. Dates are relative to today in
 * each property's time zone, so the front desk always has guests arriving, staying and leaving.
 * Money has moved too: bookings paid online through the payment sandbox, a lease's escrow released
 * to the apartments' owner and paid out to her bank, a cash deposit and a charge invoice.
 */

export const demoOrganizationName = 'Harbour Stays (demo)';
export const demoAdmin = { email: 'admin@demo.tenure.example', password: 'harbour-stays-demo-2024', displayName: 'Demo Admin' };
export const demoGuest = { email: 'guest@demo.tenure.example', password: 'harbour-stays-demo-2024', displayName: 'Priya Sharma' };

const hotelZone = 'Europe/Lisbon';
const apartmentsZone = 'Africa/Nairobi';

export interface DemoSummary {
  status: 'seeded';
  admin: { email: string; password: string };
  guest: { email: string; password: string };
  organization: { id: string; name: string };
  hotel: { propertyId: string; name: string; roomTypes: number; rooms: number };
  apartments: { propertyId: string; name: string; unitTypes: number; units: number };
  listings: number;
  customers: number;
  /** Each booking's reference and the status the story left it in. */
  bookings: { reference: string; status: string; guest: string; what: string }[];
}

export type DemoOutcome = DemoSummary | { status: 'skipped'; reason: string };

/**
 * Seeds the demo through `app` (the real application, every module's routes): nothing when an
 * organization named `Harbour Stays (demo)` exists already, so a database seeded before — even
 * half-way — is never seeded twice. A refused step throws `DemoStepError` naming it.
 */
export async function seedDemo(options: { app: InjectingApp; db: Database; config: Config; now?: Date }): Promise<DemoOutcome> {
  const { db } = options;
  const existing = await db.selectFrom('organization').select('id').where('name', '=', demoOrganizationName).executeTakeFirst();
  if (existing) return { status: 'skipped', reason: `the organization "${demoOrganizationName}" exists already` };
  const now = options.now ?? new Date();
  const api = demoClient(options.app);

  // --- the admin, who is also the platform's admin so the demo listings can be approved ---------
  const session = await signUpOrIn(api, db, demoAdmin, 'sign up the demo admin');
  const granted = await grantPlatformAdmin(db, { email: demoAdmin.email, password: undefined });
  if (granted.status === 'password_needed' || granted.status === 'has_admin') {
    throw new Error(`the demo admin could not be made a platform admin (${granted.status})`);
  }
  const organization = await api.create<{ id: string; name: string }>('create the demo organization', '/v1/organizations', session, {
    name: demoOrganizationName,
  });
  const admin = await switchTo(api, session, organization.id, 'act in the demo organization');

  const owner = await api.create('add the apartments’ owner', '/v1/owners', admin, {
    name: 'Amina Otieno',
    email: 'amina.otieno@example.com',
    phone: '+254712000101',
  });

  const hotel = await createHotel(api, admin, todayIn(hotelZone, now));
  const apartments = await createApartments(api, admin, owner.id);

  // --- listings: drafts, submitted, then approved by the platform ------------------------------
  const listingIds = [...hotel.listings.map((listing) => listing.id), ...apartments.listings.map((listing) => listing.id)];
  for (const listingId of listingIds) await api.post('submit a listing for review', `/v1/listings/${listingId}/submit`, admin);
  const moderator = await switchTo(api, session, platformOrganizationId, 'act in the platform organization');
  for (const listingId of listingIds) await api.post('approve a listing', `/v1/admin/listings/${listingId}/approve`, moderator);
  const staff = await switchTo(api, session, organization.id, 'act in the demo organization again');

  // --- customers and their stays ---------------------------------------------------------------
  const customers = await createCustomers(api, staff);
  const { bookings, stays } = await createBookings(api, staff, {
    customers,
    hotel,
    apartments,
    hotelToday: todayIn(hotelZone, now),
    apartmentsToday: todayIn(apartmentsZone, now),
  });

  // A marketplace guest asks for a monthly stay; monthly stays wait for the host's approval.
  const guest = await signUpOrIn(api, db, demoGuest, 'sign up the demo guest');
  const studio = apartments.listings.find((listing) => listing.code === '1BR')!;
  const request = await api.create<Booking>('request a monthly stay as a marketplace guest', '/v1/bookings', guest, {
    rentalMode: 'monthly',
    listingId: studio.id,
    startDate: firstOfNextMonth(firstOfNextMonth(todayIn(apartmentsZone, now))).toString(),
    months: 2,
    adults: 1,
  });
  bookings.push({ reference: request.reference, status: request.status, guest: demoGuest.displayName, what: `${studio.title}, 2 months` });

  // Blacklisted after the booking he never paid for was cancelled.
  await api.post('blacklist a customer', `/v1/customers/${customers.marco.id}/blacklist`, staff, {
    reason: 'Chargeback on an earlier stay; do not accept further bookings',
  });

  await moveMoney(api, staff, { db, config: options.config, customers, stays, ownerId: owner.id, hotel });

  return {
    status: 'seeded',
    admin: { email: demoAdmin.email, password: demoAdmin.password },
    guest: { email: demoGuest.email, password: demoGuest.password },
    organization: { id: organization.id, name: organization.name },
    hotel: { propertyId: hotel.propertyId, name: hotel.name, roomTypes: roomTypes.length, rooms: hotel.rooms },
    apartments: {
      propertyId: apartments.propertyId,
      name: apartments.name,
      unitTypes: apartmentTypes.length,
      units: apartments.units,
    },
    listings: listingIds.length,
    customers: Object.keys(customers).length + 1,
    bookings,
  };
}

// --- accounts ------------------------------------------------------------------------------------

async function signUpOrIn(
  api: DemoClient,
  db: Database,
  account: { email: string; password: string; displayName: string },
  step: string,
): Promise<Caller> {
  // A run that stopped after opening the account signs in with it instead.
  if (!(await findUserByEmail(db, account.email))) await api.create(step, '/v1/auth/register', null, account);
  return api.post<{ accessToken: string }>(`sign in as ${account.email}`, '/v1/auth/login', null, {
    email: account.email,
    password: account.password,
  });
}

async function switchTo(api: DemoClient, caller: Caller, organizationId: string, step: string): Promise<Caller> {
  return api.post<{ accessToken: string }>(step, `/v1/organizations/${organizationId}/switch`, caller);
}

// --- the hotel -----------------------------------------------------------------------------------

interface Listing {
  id: string;
  code: string;
  title: string;
}

interface Hotel {
  propertyId: string;
  name: string;
  rooms: number;
  listings: Listing[];
}

const roomTypes = [
  {
    name: 'Standard double',
    code: 'STD',
    description: 'A quiet double room over the courtyard.',
    maxOccupancy: 2,
    maxAdults: 2,
    beds: [{ type: 'queen', count: 1 }],
    rooms: [
      ['101', '1'],
      ['102', '1'],
      ['103', '1'],
      ['104', '1'],
      ['201', '2'],
    ],
    price: { base: 9_500, weekend: 11_500, season: 13_500, seasonWeekend: 15_500 },
    title: 'Standard double in Alfama',
  },
  {
    name: 'Deluxe king',
    code: 'DLX',
    description: 'A king room with a river view and a sofa bed.',
    maxOccupancy: 3,
    maxAdults: 2,
    beds: [
      { type: 'king', count: 1 },
      { type: 'sofa_bed', count: 1 },
    ],
    rooms: [
      ['202', '2'],
      ['203', '2'],
      ['301', '3'],
    ],
    price: { base: 14_500, weekend: 16_500, season: 18_500, seasonWeekend: 21_000 },
    title: 'Deluxe king with a river view',
  },
  {
    name: 'Family suite',
    code: 'FAM',
    description: 'Two rooms under the roof for up to four guests.',
    maxOccupancy: 4,
    maxAdults: 4,
    beds: [
      { type: 'king', count: 1 },
      { type: 'single', count: 2 },
    ],
    rooms: [
      ['302', '3'],
      ['303', '3'],
    ],
    price: { base: 21_000, weekend: 24_000, season: 26_500, seasonWeekend: 29_500 },
    title: 'Family suite under the roof',
  },
] as const;

async function createHotel(api: DemoClient, admin: Caller, today: PlainDate): Promise<Hotel> {
  const property = await api.create<{ id: string; name: string }>('create the hotel', '/v1/properties', admin, {
    name: 'Alfama Harbour Hotel',
    category: 'hospitality',
    propertyType: 'hotel',
    addressLine1: 'Rua dos Remédios 12',
    city: 'Lisbon',
    postalCode: '1100-445',
    country: 'PT',
    latitude: 38.7115,
    longitude: -9.129,
    timeZone: hotelZone,
    currency: 'EUR',
    checkInTime: '15:00',
    checkOutTime: '11:00',
    amenities: ['wifi', 'breakfast', 'air_conditioning', '24h_front_desk'],
  });
  // High season starts in four weeks and lasts two months; a private event closes two nights in it.
  const seasonFrom = today.add({ days: 28 });
  const seasonTo = seasonFrom.add({ days: 61 });
  const eventFrom = today.add({ days: 45 });

  const listings: Listing[] = [];
  let rooms = 0;
  for (const type of roomTypes) {
    const unitType = await api.create(`create the room type ${type.code}`, `/v1/properties/${property.id}/unit-types`, admin, {
      name: type.name,
      code: type.code,
      description: type.description,
      maxOccupancy: type.maxOccupancy,
      maxAdults: type.maxAdults,
      beds: type.beds,
    });
    for (const [name, floor] of type.rooms) {
      await api.create(`create room ${name}`, `/v1/properties/${property.id}/units`, admin, { unitTypeId: unitType.id, name, floor });
      rooms += 1;
    }
    const plan = await api.create(`create the rate plan of ${type.code}`, `/v1/unit-types/${unitType.id}/rate-plans`, admin, {
      name: 'Best available rate',
      code: 'BAR',
      currency: 'EUR',
      isDefault: true,
      basePrice: type.price.base,
      weekdayPrices: { fri: type.price.weekend, sat: type.price.weekend },
      extraGuestFee: type.code === 'FAM' ? 2_500 : 0,
      guestsIncluded: 2,
      weeklyDiscountBps: 1_000,
    });
    await api.create(`add the high season to ${type.code}`, `/v1/rate-plans/${plan.id}/seasons`, admin, {
      name: 'High season',
      from: seasonFrom.toString(),
      to: seasonTo.toString(),
      price: type.price.season,
      weekdayPrices: { fri: type.price.seasonWeekend, sat: type.price.seasonWeekend },
    });
    const nights = `/v1/rate-plans/${plan.id}/nights`;
    await api.put(`require two nights on high-season weekends (${type.code})`, nights, admin, {
      from: seasonFrom.toString(),
      to: seasonTo.toString(),
      weekdays: ['fri', 'sat'],
      minStay: 2,
    });
    await api.put(`close Sunday arrivals in high season (${type.code})`, nights, admin, {
      from: seasonFrom.toString(),
      to: seasonTo.toString(),
      weekdays: ['sun'],
      closedToArrival: true,
    });
    await api.put(`stop selling the private event's nights (${type.code})`, nights, admin, {
      from: eventFrom.toString(),
      to: eventFrom.add({ days: 2 }).toString(),
      stopSell: true,
    });
    const listing = await api.create(`create the listing of ${type.code}`, '/v1/listings', admin, {
      propertyId: property.id,
      unitTypeId: unitType.id,
      title: type.title,
      description: `${type.description} Breakfast on the terrace, five minutes from the river.`,
      rentalModes: ['daily'],
      furnishing: 'full',
      amenities: ['wifi', 'breakfast', 'air_conditioning'],
      cancellation: { preset: 'moderate' },
    });
    listings.push({ id: listing.id, code: type.code, title: type.title });
  }

  await api.create('add the Lisbon city tax', `/v1/properties/${property.id}/taxes`, admin, {
    name: 'Lisbon city tax',
    kind: 'per_person_per_night',
    amount: 400,
    currency: 'EUR',
  });
  await api.create('add VAT (included in the prices)', `/v1/properties/${property.id}/taxes`, admin, {
    name: 'VAT',
    kind: 'percentage',
    rateBps: 600,
    inclusive: true,
  });
  return { propertyId: property.id, name: property.name, rooms, listings };
}

// --- the apartments ------------------------------------------------------------------------------

interface Apartments {
  propertyId: string;
  name: string;
  units: number;
  listings: Listing[];
}

const apartmentTypes = [
  {
    name: 'One-bedroom apartment',
    code: '1BR',
    maxOccupancy: 2,
    maxAdults: 2,
    beds: [{ type: 'queen', count: 1 }],
    units: [
      ['A1', '1'],
      ['A2', '1'],
      ['A3', '2'],
    ],
    title: 'Furnished one-bedroom in Kilimani',
    terms: { monthlyPrice: 9_500_000, leaseRate: 8_000_000, securityDeposit: 8_000_000, furnishing: 'full' },
  },
  {
    name: 'Two-bedroom apartment',
    code: '2BR',
    maxOccupancy: 4,
    maxAdults: 4,
    beds: [
      { type: 'queen', count: 1 },
      { type: 'double', count: 1 },
    ],
    units: [
      ['B1', '2'],
      ['B2', '3'],
    ],
    title: 'Two-bedroom family apartment in Kilimani',
    terms: { monthlyPrice: 14_000_000, leaseRate: 12_500_000, securityDeposit: 12_500_000, furnishing: 'semi' },
  },
] as const;

async function createApartments(api: DemoClient, admin: Caller, ownerId: string): Promise<Apartments> {
  const property = await api.create<{ id: string; name: string }>('create the apartment block', '/v1/properties', admin, {
    ownerId,
    name: 'Kilimani Court',
    category: 'residential',
    propertyType: 'apartment',
    addressLine1: 'Argwings Kodhek Road 40',
    city: 'Nairobi',
    country: 'KE',
    latitude: -1.2921,
    longitude: 36.7856,
    timeZone: apartmentsZone,
    currency: 'KES',
    amenities: ['wifi', 'parking', 'backup_generator', 'security'],
  });
  const listings: Listing[] = [];
  let units = 0;
  for (const type of apartmentTypes) {
    const unitType = await api.create(`create the apartment type ${type.code}`, `/v1/properties/${property.id}/unit-types`, admin, {
      name: type.name,
      code: type.code,
      maxOccupancy: type.maxOccupancy,
      maxAdults: type.maxAdults,
      beds: type.beds,
    });
    for (const [name, floor] of type.units) {
      await api.create(`create apartment ${name}`, `/v1/properties/${property.id}/units`, admin, { unitTypeId: unitType.id, name, floor });
      units += 1;
    }
    const listing = await api.create(`create the listing of ${type.code}`, '/v1/listings', admin, {
      propertyId: property.id,
      unitTypeId: unitType.id,
      title: type.title,
      description: 'Walk to Yaya Centre; water storage, a backup generator and guarded parking.',
      rentalModes: ['monthly', 'lease'],
      ...type.terms,
      amenities: ['wifi', 'parking', 'washing_machine'],
      minLeaseMonths: 6,
      maxLeaseMonths: 24,
      monthlyMinStayMonths: 1,
      monthlyMaxStayMonths: 11,
      monthlyNoticePeriodDays: 30,
      cancellation: { preset: 'firm' },
    });
    listings.push({ id: listing.id, code: type.code, title: type.title });
  }
  return { propertyId: property.id, name: property.name, units, listings };
}

// --- customers -----------------------------------------------------------------------------------

const customerDetails = {
  sofia: { firstName: 'Sofia', lastName: 'Almeida', email: 'sofia.almeida@example.com', phone: '+351912000101', nationality: 'PT' },
  james: { firstName: 'James', lastName: 'Whitfield', email: 'james.whitfield@example.com', phone: '+447700900101', nationality: 'GB' },
  yuki: { firstName: 'Yuki', lastName: 'Tanaka', email: 'yuki.tanaka@example.com', nationality: 'JP' },
  lena: { firstName: 'Lena', lastName: 'Fischer', email: 'lena.fischer@example.com', phone: '+4915100000101', nationality: 'DE' },
  daniel: { firstName: 'Daniel', lastName: 'Okafor', email: 'daniel.okafor@example.com', phone: '+2348000000101', nationality: 'NG' },
  wanjiru: { firstName: 'Wanjiru', lastName: 'Kamau', email: 'wanjiru.kamau@example.com', phone: '+254712000102', nationality: 'KE' },
  marco: {
    firstName: 'Marco',
    lastName: 'Rossi',
    email: 'marco.rossi@example.com',
    nationality: 'IT',
    notes: 'Disputed a card payment in 2024.',
  },
};

type Customers = Record<keyof typeof customerDetails, Created & { name: string }>;

async function createCustomers(api: DemoClient, staff: Caller): Promise<Customers> {
  const customers: Partial<Customers> = {};
  for (const [key, details] of Object.entries(customerDetails)) {
    const name = `${details.firstName} ${details.lastName}`;
    const customer = await api.create(`add the customer ${name}`, '/v1/customers', staff, details);
    customers[key as keyof Customers] = { id: customer.id, name };
  }
  return customers as Customers;
}

// --- bookings ------------------------------------------------------------------------------------

interface Booking {
  id: string;
  reference: string;
  status: string;
}

/** The stays the story's money is about. */
interface Stays {
  /** A deluxe king next week, paid ahead online by card. */
  james: Booking;
  /** A lease whose keys were handed over today: its move-in is paid by bank transfer, and its escrow released. */
  wanjiru: Booking;
}

async function createBookings(
  api: DemoClient,
  staff: Caller,
  story: { customers: Customers; hotel: Hotel; apartments: Apartments; hotelToday: PlainDate; apartmentsToday: PlainDate },
): Promise<{ bookings: DemoSummary['bookings']; stays: Stays }> {
  const { customers, hotel, apartments, hotelToday, apartmentsToday } = story;
  const listing = (listings: Listing[], code: string) => listings.find((candidate) => candidate.code === code)!;
  const made: DemoSummary['bookings'] = [];

  /** A staff booking (confirmed at once, paid at the property), then the lifecycle steps that follow it. */
  async function book(
    who: Created & { name: string },
    what: string,
    body: Record<string, unknown>,
    then: { step: string; path: string; payload?: object }[] = [],
  ): Promise<Booking> {
    let booking = await api.create<Booking>(`book ${what} for ${who.name}`, '/v1/bookings', staff, { ...body, customerId: who.id });
    for (const next of then) {
      booking = await api.post<Booking>(`${next.step} (${who.name})`, `/v1/bookings/${booking.id}/${next.path}`, staff, next.payload);
    }
    made.push({ reference: booking.reference, status: booking.status, guest: who.name, what });
    return booking;
  }
  const nights = (code: string, from: number, to: number, adults = 2) => ({
    rentalMode: 'daily',
    listingId: listing(hotel.listings, code).id,
    checkIn: hotelToday.add({ days: from }).toString(),
    checkOut: hotelToday.add({ days: to }).toString(),
    adults,
  });
  const checkIn = { step: 'check in', path: 'check-in' };
  const checkOut = { step: 'check out', path: 'check-out', payload: { note: 'Left early: flight moved forward' } };

  await book(customers.sofia, 'a standard double, 3 nights from today', { ...nights('STD', 0, 3), source: 'direct' }, [checkIn]);
  const james = await book(customers.james, 'a deluxe king next week', {
    ...nights('DLX', 7, 10),
    source: 'phone',
    notes: 'Late arrival, around 23:00',
  });
  await book(customers.yuki, 'a standard double, left early', { ...nights('STD', 0, 2, 1), source: 'walk_in' }, [checkIn, checkOut]);
  await book(customers.lena, 'a family suite, left early and settled', { ...nights('FAM', 0, 2, 3), source: 'direct' }, [
    checkIn,
    checkOut,
    { step: 'complete the stay', path: 'complete' },
  ]);
  await book(customers.marco, 'a deluxe king in two weeks', { ...nights('DLX', 14, 16), source: 'phone' }, [
    { step: 'cancel', path: 'cancel', payload: { reason: 'staff', note: 'The card on file was declined twice' } },
  ]);
  await book(customers.daniel, 'a one-bedroom by the month, from next month', {
    rentalMode: 'monthly',
    listingId: listing(apartments.listings, '1BR').id,
    startDate: firstOfNextMonth(apartmentsToday).toString(),
    months: 3,
    adults: 1,
  });
  const wanjiru = await book(
    customers.wanjiru,
    'a two-bedroom on a 12-month lease, moving in today',
    {
      rentalMode: 'lease',
      listingId: listing(apartments.listings, '2BR').id,
      startDate: apartmentsToday.toString(),
      termMonths: 12,
      adults: 2,
    },
    [{ step: 'hand over the keys', path: 'check-in' }],
  );
  return { bookings: made, stays: { james, wanjiru } };
}

// --- money ---------------------------------------------------------------------------------------

interface Wallet {
  balances: { currency: string; available: number }[];
}

/**
 * The money of the story, through the same API: online payments go to the payment sandbox, whose
 * reports its job would deliver as webhooks a few seconds later. The seed delivers them itself,
 * with the sandbox's clock moved ahead, and moves the escrow's clock past the check-in's grace
 * period — so the first start shows money settled, released and paid out. Payments and the payout
 * carry idempotency keys, as a client's would.
 */
async function moveMoney(
  api: DemoClient,
  staff: Caller,
  story: { db: Database; config: Config; customers: Customers; stays: Stays; ownerId: string; hotel: Hotel },
): Promise<void> {
  const { db, config, customers, stays, ownerId } = story;
  const context = paymentsContext(config);
  // The clocks move from the real time, not the story's `now`: the sandbox timed its reports by it.
  const inAnHour = () => new Date(Date.now() + 3_600_000 * Math.max(1, config.SANDBOX_TIME_SCALE));
  const deliverSandboxReports = () => deliverDueSandboxEvents(db, context, { now: inAnHour() });

  // Sofia leaves a cash deposit for incidentals at the front desk.
  await api.create('record a cash deposit', '/v1/payments', staff, {
    idempotencyKey: 'demo-deposit-sofia',
    purpose: 'deposit',
    payerCustomerId: customers.sofia.id,
    amount: 10_000,
    currency: 'EUR',
    method: 'cash',
    receiptNumber: 'AHH-000101',
    description: 'Incidentals deposit, in cash at check-in',
  });

  // Lena is billed for the extras of her stay after she left.
  await api.create('issue a charge invoice', '/v1/invoices', staff, {
    customerId: customers.lena.id,
    currency: 'EUR',
    propertyId: story.hotel.propertyId,
    lines: [
      { description: 'Airport transfer', quantity: 1, unitAmount: 3_500, kind: 'fee' },
      { description: 'Minibar', quantity: 1, unitAmount: 1_850, kind: 'charge' },
    ],
    taxRateBps: 2_300,
    taxInclusive: true,
    notes: 'Family suite: extras after check-out',
  });

  // James pays his room ahead by card — when the sandbox takes cards: with Stripe configured, the
  // demo leaves his booking to be paid at the hotel rather than charge a real provider.
  if (context.providers.forMethod('card') === 'sandbox') {
    await api.create('pay a booking online by card', '/v1/payments/intent', staff, {
      idempotencyKey: 'demo-card-payment-james',
      bookingId: stays.james.id,
      method: 'card',
    });
  }

  // Wanjiru pays her lease's move-in (the first month and the deposit) by instant bank transfer.
  const wanjiruAccount = await api.create('add a customer’s bank account', '/v1/bank-accounts', staff, {
    holderType: 'customer',
    holderId: customers.wanjiru.id,
    holderName: customers.wanjiru.name,
    bankName: 'Equity Bank Kenya',
    country: 'KE',
    currency: 'KES',
    accountType: 'checking',
    routingNumber: 'EQBLKENA',
    accountNumber: '0180291234567',
  });
  const moveIn = await api.create('pay a lease’s move-in by bank transfer', '/v1/payments/intent', staff, {
    idempotencyKey: 'demo-move-in-wanjiru',
    bookingId: stays.wanjiru.id,
    method: 'bank_transfer',
    rail: 'INSTANT',
    payerBankAccountId: wanjiruAccount.id,
  });
  // The sandbox's job may be delivering the same report at this moment (it skips what the other
  // holds): the move-in is settled before its escrow is released.
  for (let attempt = 1; ; attempt++) {
    await deliverSandboxReports();
    const payment = await api.get<{ status: string }>('read the move-in payment', `/v1/payments/${moveIn.id}`, staff);
    if (payment.status === 'succeeded') break;
    if (attempt === 50) throw new Error(`step "settle the move-in payment": it is ${payment.status}, not succeeded`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  // Her keys were handed over today: the escrow's clock moved past the grace period releases the
  // move-in to the owner (the rent net of commission; the deposit goes to deposits held).
  await releaseDueEscrow(db, context, new Date(Date.now() + (config.ESCROW_RELEASE_GRACE_HOURS + 1) * 3_600_000));

  // The owner is paid half of what she may withdraw (in whole shillings) to her bank account; the
  // rest is there to try a payout with.
  const ownerAccount = await api.create('add the owner’s bank account', '/v1/bank-accounts', staff, {
    holderType: 'owner',
    holderId: ownerId,
    holderName: 'Amina Otieno',
    bankName: 'KCB Bank Kenya',
    country: 'KE',
    currency: 'KES',
    accountType: 'savings',
    routingNumber: 'KCBLKENX',
    accountNumber: '1107654321',
  });
  const wallet = await api.get<Wallet>('read the owner’s wallet', `/v1/wallet?ownerId=${ownerId}`, staff);
  const available = wallet.balances.find((balance) => balance.currency === 'KES')?.available ?? 0;
  await api.create('pay the owner out', '/v1/payouts', staff, {
    idempotencyKey: 'demo-payout-amina',
    ownerId,
    amount: Math.floor(available / 200) * 100,
    currency: 'KES',
    bankAccountId: ownerAccount.id,
    note: 'Kilimani Court: the first lease’s rent',
  });
  await deliverSandboxReports();
}
