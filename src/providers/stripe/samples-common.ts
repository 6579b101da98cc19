/**
 * What the Stripe samples share: the amount and currency every sample uses, the ids that tie one
 * sample's objects together, the check against the installed `stripe` package's types, and the
 * customer both the payment and the billing objects point at.
 */
import type Stripe from 'stripe';
import { id, unixNow } from '../../testing/ids.js';

export const AMOUNT = 2000;
export const CURRENCY = 'usd';
export const DAY = 24 * 60 * 60;

/**
 * Part of a Stripe object, checked field by field against the installed `stripe` package's types:
 * a field that the current API version renamed or removed fails to compile.
 */
export type Sample<T> = T extends readonly (infer U)[]
  ? Sample<U>[]
  : T extends object
    ? { [K in keyof T]?: Sample<T[K]> | null }
    : T;

/** Ids of one sample's related objects, so that they point at each other. */
export interface Refs {
  now: number;
  customer: string;
  paymentIntent: string;
  charge: string;
  paymentMethod: string;
  invoice: string;
  subscription: string;
  product: string;
  price: string;
}

export function refs(): Refs {
  return {
    now: unixNow(),
    customer: id('cus_', 14),
    paymentIntent: id('pi_'),
    charge: id('ch_'),
    paymentMethod: id('pm_'),
    invoice: id('in_'),
    subscription: id('sub_'),
    product: id('prod_', 14),
    price: id('price_'),
  };
}

export const address = () => ({
  city: 'San Francisco',
  country: 'US',
  line1: '510 Townsend St',
  line2: null,
  postal_code: '94103',
  state: 'CA',
});

export function customer(r: Refs): Sample<Stripe.Customer> {
  return {
    id: r.customer,
    object: 'customer',
    address: null,
    balance: 0,
    created: r.now,
    currency: null,
    default_source: null,
    delinquent: false,
    description: null,
    email: 'jenny.rosen@example.com',
    invoice_prefix: id('', 8).toUpperCase(),
    invoice_settings: { custom_fields: null, default_payment_method: null, footer: null },
    livemode: false,
    metadata: {},
    name: 'Jenny Rosen',
    phone: null,
    preferred_locales: [],
    tax_exempt: 'none',
  };
}
