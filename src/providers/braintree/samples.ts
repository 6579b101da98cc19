/**
 * Braintree samples: notifications as koa-payments parses them (`{ timestamp, kind, subject }`,
 * element names in camelCase), shaped after the official `braintree` package's
 * `webhookTesting.sampleNotification` fixtures and Braintree's webhook reference. The signer turns
 * them into the XML and form Braintree posts. Amounts are decimal strings in major units, as
 * Braintree sends them. `check` (the Control Panel's "Check URL") has no sample: it carries no
 * id, so two of them in one second would be one event.
 */
import { lowerId, numericId } from '../../testing/ids.js';
import type { SampleCatalogue, SamplePayload } from '../../testing/types.js';
import { BRAINTREE_DATA_PATH } from './verify.js';

const AMOUNT = '10.00';
const CURRENCY = 'USD';
const MERCHANT_ACCOUNT = 'acmewidgetsltd';

/** Now, as Braintree writes times: to the second, in UTC. */
function now(offsetSeconds = 0): string {
  return new Date(Date.now() + offsetSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function day(offsetDays = 0): string {
  return now(offsetDays * 86_400).slice(0, 10);
}

function notification(kind: string, subject: SamplePayload): SamplePayload {
  return { timestamp: now(), kind, subject };
}

function transaction(
  status: string,
  type: 'sale' | 'credit' = 'sale',
  overrides: SamplePayload = {},
): SamplePayload {
  return {
    id: lowerId('', 8),
    status,
    type,
    currencyIsoCode: CURRENCY,
    amount: AMOUNT,
    merchantAccountId: MERCHANT_ACCOUNT,
    orderId: `order-${numericId()}`,
    createdAt: now(-3 * 86_400),
    updatedAt: now(),
    refundedTransactionId: null,
    refundIds: [],
    customer: {
      id: String(numericId()),
      firstName: 'Dan',
      lastName: 'Schulman',
      email: 'dan.schulman@example.com',
    },
    paymentInstrumentType: 'us_bank_account',
    usBankAccount: {
      routingNumber: '011000015',
      last4: '1234',
      accountType: 'checking',
      accountHolderName: 'Dan Schulman',
      bankName: 'FEDERAL RESERVE BANK',
    },
    ...overrides,
  };
}

/** A card payment: the instrument of subscription charges and most disputes. */
const CARD: SamplePayload = {
  paymentInstrumentType: 'credit_card',
  usBankAccount: undefined,
  creditCard: {
    bin: '411111',
    last4: '1111',
    cardType: 'Visa',
    expirationMonth: '12',
    expirationYear: '2030',
    cardholderName: 'Dan Schulman',
  },
};

function subscription(status: string, charge?: SamplePayload): SamplePayload {
  return {
    id: lowerId('', 6),
    status,
    planId: 'monthly-basic',
    price: AMOUNT,
    balance: '0.00',
    currentBillingCycle: 2,
    failureCount: status === 'Past Due' ? 1 : 0,
    billingPeriodStartDate: day(),
    billingPeriodEndDate: day(30),
    nextBillingDate: day(31),
    paidThroughDate: day(30),
    merchantAccountId: MERCHANT_ACCOUNT,
    transactions: charge === undefined ? [] : [charge],
    addOns: [],
    discounts: [],
    createdAt: now(-32 * 86_400),
    updatedAt: now(),
  };
}

function dispute(status: string): SamplePayload {
  const disputed = transaction('settled', 'sale', CARD);
  return {
    id: lowerId('', 16),
    amount: AMOUNT,
    amountDisputed: AMOUNT,
    amountWon: status === 'won' ? AMOUNT : '0.00',
    currencyIsoCode: CURRENCY,
    kind: 'chargeback',
    reason: 'fraud',
    status,
    caseNumber: `CB${numericId()}`,
    receivedDate: day(),
    replyByDate: day(14),
    dateOpened: day(),
    transaction: {
      id: disputed.id,
      amount: AMOUNT,
      orderId: disputed.orderId,
      createdAt: disputed.createdAt,
    },
    createdAt: now(),
    updatedAt: now(),
  };
}

/** Braintree's samples. `signal.data` is the notification's `subject`. */
export const braintreeSamples: SampleCatalogue = {
  dataPath: BRAINTREE_DATA_PATH,
  events: {
    transaction_settled: () =>
      notification('transaction_settled', { transaction: transaction('settled') }),
    transaction_settlement_declined: () =>
      notification('transaction_settlement_declined', {
        transaction: transaction('settlement_declined'),
      }),
    transaction_disbursed: () =>
      notification('transaction_disbursed', {
        transaction: transaction('settled', 'sale', {
          disbursementDetails: { disbursementDate: day(), settlementAmount: AMOUNT },
        }),
      }),
    subscription_charged_successfully: () =>
      notification('subscription_charged_successfully', {
        subscription: subscription('Active', transaction('submitted_for_settlement', 'sale', CARD)),
      }),
    subscription_charged_unsuccessfully: () =>
      notification('subscription_charged_unsuccessfully', {
        subscription: subscription('Past Due', transaction('processor_declined', 'sale', CARD)),
      }),
    subscription_went_past_due: () =>
      notification('subscription_went_past_due', { subscription: subscription('Past Due') }),
    subscription_canceled: () =>
      notification('subscription_canceled', { subscription: subscription('Canceled') }),
    dispute_opened: () => notification('dispute_opened', { dispute: dispute('open') }),
    dispute_won: () => notification('dispute_won', { dispute: dispute('won') }),
    dispute_lost: () => notification('dispute_lost', { dispute: dispute('lost') }),
  },
};
