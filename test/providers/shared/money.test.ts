import { expect } from 'chai';
import {
  currencyCode,
  currencyExponent,
  MoneyError,
  minorUnits,
  rescaleMinorUnits,
  toMinorUnits,
} from '../../../src/providers/shared/money.js';

/** The MoneyError code `run` throws, or undefined when it does not throw. */
function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    expect(error).to.be.instanceOf(MoneyError);
    return (error as MoneyError).code;
  }
  return undefined;
}

describe('money', () => {
  describe('currencies', () => {
    it('knows the ISO 4217 exponents, including the zero-, three- and four-decimal ones', () => {
      for (const code of ['JPY', 'KRW', 'VND', 'CLP', 'ISK', 'UGX', 'XOF', 'XAF', 'PYG']) {
        expect(currencyExponent(code), code).to.equal(0);
      }
      for (const code of ['KWD', 'BHD', 'JOD', 'OMR', 'TND', 'IQD', 'LYD']) {
        expect(currencyExponent(code), code).to.equal(3);
      }
      expect(currencyExponent('CLF')).to.equal(4);
      expect(currencyExponent('UYW')).to.equal(4);
      for (const code of ['USD', 'EUR', 'NGN', 'INR', 'GHS', 'KES', 'MGA', 'HUF', 'TWD', 'XCG']) {
        expect(currencyExponent(code), code).to.equal(2);
      }
    });

    it('reads codes in any case and answers them in upper case', () => {
      expect(currencyCode('usd')).to.equal('USD');
      expect(currencyCode('Ngn')).to.equal('NGN');
      expect(currencyExponent('jpy')).to.equal(0);
    });

    it('refuses what is not the code of a payment currency', () => {
      for (const value of ['US', 'USDT', 'ABC', 'XAU', 'XXX', '', ' usd', 840, null, undefined]) {
        expect(
          codeOf(() => currencyCode(value)),
          String(value),
        ).to.equal('invalid_currency');
      }
      expect(currencyExponent('XAU')).to.equal(undefined);
    });
  });

  describe('toMinorUnits', () => {
    it('converts major units exactly where a float multiplication would not', () => {
      expect(19.99 * 100).to.not.equal(1999); // why: 1998.9999999999998
      expect(toMinorUnits(19.99, 'NGN')).to.equal(1999);
      expect(toMinorUnits('19.99', 'NGN')).to.equal(1999);
      expect(1.13 * 100).to.not.equal(113);
      expect(toMinorUnits(1.13, 'USD')).to.equal(113);
      expect(toMinorUnits(4.35, 'EUR')).to.equal(435);
      expect(toMinorUnits(5000, 'NGN')).to.equal(500_000);
    });

    it('reads floating-point noise as the decimal it stands for (0.1 + 0.2 is 0.3)', () => {
      expect(0.1 + 0.2).to.not.equal(0.3);
      expect(toMinorUnits(0.1 + 0.2, 'USD')).to.equal(30);
      expect(toMinorUnits(1.1 + 2.2, 'USD')).to.equal(330);
      expect(toMinorUnits(0.7 + 0.1, 'KWD')).to.equal(800);
    });

    it('uses the exponent of the currency: JPY 0, KWD 3, CLF 4', () => {
      expect(toMinorUnits(1500, 'JPY')).to.equal(1500);
      expect(toMinorUnits('1500', 'jpy')).to.equal(1500);
      expect(toMinorUnits(1.5, 'KWD')).to.equal(1500);
      expect(toMinorUnits('12.345', 'KWD')).to.equal(12_345);
      expect(toMinorUnits('0.0001', 'CLF')).to.equal(1);
    });

    it('accepts zeros after the last significant decimal', () => {
      expect(toMinorUnits('19.990', 'NGN')).to.equal(1999);
      expect(toMinorUnits('1500.00', 'JPY')).to.equal(1500);
      expect(toMinorUnits('0', 'USD')).to.equal(0);
      expect(Object.is(toMinorUnits('-0.00', 'USD'), 0)).to.equal(true);
    });

    it('keeps the sign of a negative amount', () => {
      expect(toMinorUnits('-5.10', 'USD')).to.equal(-510);
      expect(toMinorUnits(-0.59, 'USD')).to.equal(-59);
    });

    it('refuses more decimals than the currency has, rather than rounding', () => {
      expect(codeOf(() => toMinorUnits('26.875', 'NGN'))).to.equal('too_precise');
      expect(codeOf(() => toMinorUnits(26.875, 'NGN'))).to.equal('too_precise');
      expect(codeOf(() => toMinorUnits(1.005, 'USD'))).to.equal('too_precise');
      expect(codeOf(() => toMinorUnits('100.5', 'JPY'))).to.equal('too_precise');
      expect(codeOf(() => toMinorUnits('1.0005', 'KWD'))).to.equal('too_precise');
      // A string is exact: the noise a double would carry is a real digit there.
      expect(codeOf(() => toMinorUnits('0.30000000000000004', 'USD'))).to.equal('too_precise');
    });

    it('says which amount and currency it refused', () => {
      expect(() => toMinorUnits('26.875', 'ngn')).to.throw(MoneyError, /26\.875 NGN.*the 2 of NGN/);
    });

    it('refuses what is not a plain decimal amount', () => {
      for (const value of ['', ' 1', '1,000.00', '1e3', '0x10', '.5', '5.', 'abc', NaN, Infinity]) {
        expect(
          codeOf(() => toMinorUnits(value, 'USD')),
          String(value),
        ).to.equal('invalid_amount');
      }
      expect(codeOf(() => toMinorUnits(null as unknown as number, 'USD'))).to.equal(
        'invalid_amount',
      );
    });

    it('refuses an unknown currency before reading the amount', () => {
      expect(codeOf(() => toMinorUnits(10, 'ABC'))).to.equal('invalid_currency');
    });

    it('refuses amounts it could not count exactly', () => {
      expect(codeOf(() => toMinorUnits(1e15, 'JPY'))).to.equal('out_of_range');
      expect(codeOf(() => toMinorUnits('90071992547409.93', 'USD'))).to.equal('out_of_range');
      expect(toMinorUnits('90071992547409.91', 'USD')).to.equal(Number.MAX_SAFE_INTEGER);
      // A large amount as a string keeps every digit a number would lose.
      expect(toMinorUnits('12345678901234.56', 'USD')).to.equal(1_234_567_890_123_456);
    });
  });

  describe('minorUnits', () => {
    it('accepts safe integers and strings of digits', () => {
      expect(minorUnits(5000, 'ngn')).to.equal(5000);
      expect(minorUnits('5000', 'NGN')).to.equal(5000);
      expect(minorUnits('-59', 'USD')).to.equal(-59);
      expect(minorUnits(0, 'USD')).to.equal(0);
    });

    it('refuses fractions, floats and anything that is not an amount', () => {
      for (const value of [10.5, '10.5', '', '1e3', 2 ** 53, null, undefined, {}]) {
        expect(
          codeOf(() => minorUnits(value, 'USD')),
          String(value),
        ).to.equal('invalid_amount');
      }
      expect(codeOf(() => minorUnits('9007199254740993', 'USD'))).to.equal('out_of_range');
      expect(codeOf(() => minorUnits(100, 'usdt'))).to.equal('invalid_currency');
    });
  });

  describe('rescaleMinorUnits', () => {
    it('turns a gateway-specific unit into ISO minor units', () => {
      // Stripe counts ISK in hundredths and MGA in whole ariary.
      expect(rescaleMinorUnits(500, 2, 'isk')).to.equal(5);
      expect(rescaleMinorUnits(500, 0, 'MGA')).to.equal(50_000);
      expect(rescaleMinorUnits(2000, 2, 'USD')).to.equal(2000);
    });

    it('refuses a remainder the ISO unit cannot hold', () => {
      expect(codeOf(() => rescaleMinorUnits(4010, 2, 'ISK'))).to.equal('too_precise');
      expect(() => rescaleMinorUnits(4010, 2, 'ISK')).to.throw(/40\.1 ISK/);
    });
  });
});
