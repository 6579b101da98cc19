/**
 * Money for normalized payment facts: ISO 4217 currency codes and their minor-unit exponents, and
 * exact conversions to integer minor units (decimal string arithmetic, never `x * 100` on a
 * double, which turns 19.99 into 1998.9999999999998).
 */

/** Why an amount or a currency was refused; one code per failure. */
export type MoneyErrorCode = 'invalid_currency' | 'invalid_amount' | 'too_precise' | 'out_of_range';

/** An amount or a currency that cannot be turned into exact minor units. */
export class MoneyError extends Error {
  /** The failure, stable across releases. */
  readonly code: MoneyErrorCode;

  constructor(code: MoneyErrorCode, message: string) {
    super(message);
    this.name = 'MoneyError';
    this.code = code;
  }
}

// ISO 4217 list one (published 2024-06-25), by minor-unit exponent. The codes without a minor
// unit there (XAU, XDR, XXX, ...) are not payment currencies and are refused.
const EXPONENT_0 =
  'BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF' +
  // Withdrawn, still sent by some gateways for old objects.
  ' BYR';
const EXPONENT_2 =
  'AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN ' +
  'BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP ' +
  'GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK ' +
  'LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK ' +
  'NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP ' +
  'STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD YER ZAR ' +
  'ZMW ZWG' +
  // XCG: the Caribbean guilder, added by amendment 176 (2025), replacing ANG.
  ' XCG' +
  // Withdrawn, still sent by some gateways for old objects.
  ' HRK MRO SLL STD VEF ZWL';
const EXPONENT_3 = 'BHD IQD JOD KWD LYD OMR TND';
const EXPONENT_4 = 'CLF UYW';

const EXPONENTS: ReadonlyMap<string, number> = new Map(
  [EXPONENT_0, EXPONENT_2, EXPONENT_3, EXPONENT_4].flatMap((codes, index) =>
    codes.split(' ').map((code) => [code, [0, 2, 3, 4][index] as number] as const),
  ),
);

/**
 * The ISO 4217 minor-unit exponent of a currency (`JPY` 0, `USD` 2, `KWD` 3, `CLF` 4), or
 * undefined for a code that is not a payment currency. Case-insensitive.
 *
 * @example
 * currencyExponent('kwd'); // 3
 */
export function currencyExponent(code: string): number | undefined {
  return EXPONENTS.get(code.toUpperCase());
}

/**
 * A currency code in ISO 4217 form (upper case), or a {@link MoneyError} `invalid_currency` for
 * anything that is not a known payment currency. Stripe's `usd` becomes `USD`.
 *
 * @example
 * currencyCode('ngn'); // 'NGN'
 */
export function currencyCode(value: unknown): string {
  if (typeof value === 'string' && /^[A-Za-z]{3}$/.test(value)) {
    const code = value.toUpperCase();
    if (EXPONENTS.has(code)) return code;
  }
  throw new MoneyError(
    'invalid_currency',
    `${shown(value)} is not the ISO 4217 code of a payment currency`,
  );
}

/** A decimal number as sign, digits and scale: `-12.50` is `{ negative, digits: '1250', scale: 2 }`. */
interface Decimal {
  negative: boolean;
  digits: string;
  scale: number;
}

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/i;

function parseDecimal(text: string): Decimal | undefined {
  const match = DECIMAL.exec(text);
  if (match === null) return undefined;
  const [, sign, whole = '', fraction = '', exponent = '0'] = match;
  const decimal = { negative: sign === '-', digits: whole + fraction, scale: 0 };
  decimal.scale = fraction.length - Number(exponent);
  // Trailing zeros after the point say nothing: 19.990 is 19.99.
  while (decimal.scale > 0 && decimal.digits.endsWith('0')) {
    decimal.digits = decimal.digits.slice(0, -1);
    decimal.scale -= 1;
  }
  return decimal;
}

/** A JSON number keeps 15 significant digits exactly; from 10^15 on, digits are lost. */
const LARGEST_NUMBER_AMOUNT = 1e15;

/**
 * The decimal a number stands for. Its shortest round-trip form is what `JSON.parse` read; when
 * that has more decimals than the currency allows, the number is read to the 15 significant
 * digits a double always keeps, so floating-point noise (0.1 + 0.2 = 0.30000000000000004) reads
 * as the 0.3 it stands for. A genuine third decimal (26.875) survives both and is refused later.
 */
function numberDecimal(amount: number, exponent: number): Decimal {
  if (!Number.isFinite(amount)) {
    throw new MoneyError('invalid_amount', `${amount} is not an amount`);
  }
  if (Math.abs(amount) >= LARGEST_NUMBER_AMOUNT) {
    throw new MoneyError(
      'out_of_range',
      `${amount} has more digits than a JSON number keeps exactly; send it as a string`,
    );
  }
  const shortest = parseDecimal(String(amount)) as Decimal;
  if (shortest.scale <= exponent) return shortest;
  return parseDecimal(amount.toPrecision(15)) as Decimal;
}

/** A decimal written out for a message: `{ digits: '401', scale: 1 }` is `40.1`. */
function written({ negative, digits, scale }: Decimal): string {
  const padded = scale > 0 ? digits.padStart(scale + 1, '0') : digits + '0'.repeat(-scale);
  const point = scale > 0 ? `${padded.slice(0, -scale)}.${padded.slice(-scale)}` : padded;
  return (negative ? '-' : '') + point;
}

/** Digits shifted to `exponent` places as a safe integer; refuses what would need rounding. */
function toInteger(decimal: Decimal, exponent: number, currency: string): number {
  if (decimal.scale > exponent) {
    throw new MoneyError(
      'too_precise',
      `${written(decimal)} ${currency} has more decimals than the ${exponent} of ${currency}: ` +
        'it is not a whole number of minor units',
    );
  }
  const units = BigInt(decimal.digits + '0'.repeat(exponent - decimal.scale));
  if (units > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new MoneyError(
      'out_of_range',
      `${written(decimal)} ${currency} is too large to count exactly`,
    );
  }
  const value = Number(units);
  return decimal.negative && value !== 0 ? -value : value;
}

/**
 * An amount in major units (`19.99`, `'19.99'`) as an integer in the currency's minor units
 * (`1999`), exactly: decimal string arithmetic, no floating-point multiplication. Throws a
 * {@link MoneyError}: `invalid_currency`; `invalid_amount` (not a finite number or a plain decimal
 * string); `too_precise` when the amount has more decimals than the currency's exponent (no
 * rounding: 26.875 NGN is not a whole number of kobo); `out_of_range` beyond 2^53 minor units.
 *
 * @example
 * toMinorUnits(19.99, 'NGN'); // 1999
 * toMinorUnits('1500', 'JPY'); // 1500
 * toMinorUnits('1.5', 'KWD'); // 1500
 * toMinorUnits(0.1 + 0.2, 'USD'); // 30
 */
export function toMinorUnits(amount: number | string, currency: string): number {
  const code = currencyCode(currency);
  const exponent = EXPONENTS.get(code) as number;
  let decimal: Decimal | undefined;
  if (typeof amount === 'number') decimal = numberDecimal(amount, exponent);
  else if (typeof amount === 'string' && !/e/i.test(amount)) decimal = parseDecimal(amount);
  if (decimal === undefined) {
    throw new MoneyError('invalid_amount', `${shown(amount)} is not a decimal amount`);
  }
  return toInteger(decimal, exponent, code);
}

/**
 * An amount the provider already sends in minor units (Paystack's kobo, Paddle's `'3000'`), as a
 * number: a safe integer, or a string of digits. Throws a {@link MoneyError} `invalid_amount` for
 * anything else (a fraction, an empty string, a float).
 *
 * @example
 * minorUnits('3000', 'usd'); // 3000
 */
export function minorUnits(amount: unknown, currency: string): number {
  const code = currencyCode(currency);
  if (typeof amount === 'number' && Number.isSafeInteger(amount)) return amount === 0 ? 0 : amount;
  if (typeof amount === 'string' && /^-?\d+$/.test(amount)) {
    return toInteger(parseDecimal(amount) as Decimal, 0, code);
  }
  throw new MoneyError(
    'invalid_amount',
    `${shown(amount)} is not a whole number of ${code} minor units`,
  );
}

/**
 * An integer counted in units of 10^-`fromExponent` (a gateway's own idea of the smallest unit)
 * as ISO 4217 minor units of `currency`. Stripe counts ISK in hundredths (ISO: no minor unit) and
 * MGA in whole ariary (ISO: two decimals).
 *
 * @example
 * rescaleMinorUnits(500, 2, 'ISK'); // 5
 * rescaleMinorUnits(500, 0, 'MGA'); // 50000
 */
export function rescaleMinorUnits(amount: unknown, fromExponent: number, currency: string): number {
  const code = currencyCode(currency);
  const units = minorUnits(amount, code);
  const decimal = parseDecimal(`${units}e-${fromExponent}`) as Decimal;
  return toInteger(decimal, EXPONENTS.get(code) as number, code);
}

/** A value for an error message: amounts and currency codes are not secrets. */
function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return value === null ? 'null' : typeof value;
}
