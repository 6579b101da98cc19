import { expect } from 'chai';
import {
  microsFromEpoch,
  microsFromIso,
  objectRef,
  paymentFacts,
  readingFacts,
} from '../../../src/providers/shared/facts.js';
import { minorUnits } from '../../../src/providers/shared/money.js';

describe('provider facts helpers', () => {
  describe('microsFromIso', () => {
    it('keeps the microseconds a Date would drop', () => {
      expect(microsFromIso('2024-04-12T10:18:49.621022Z')).to.equal(1_712_917_129_621_022);
      expect(new Date('2024-04-12T10:18:49.621022Z').getTime() * 1000).to.equal(
        1_712_917_129_621_000,
      );
    });

    it('reads milliseconds, whole seconds, offsets and nanoseconds', () => {
      expect(microsFromIso('2024-04-12T10:18:49.5Z')).to.equal(1_712_917_129_500_000);
      expect(microsFromIso('2024-04-12T10:18:49Z')).to.equal(1_712_917_129_000_000);
      expect(microsFromIso('2024-04-12T12:18:49.000001+02:00')).to.equal(1_712_917_129_000_001);
      expect(microsFromIso('2024-04-12T12:18:49+0200')).to.equal(1_712_917_129_000_000);
      expect(microsFromIso('2024-04-12T10:18:49.123456789Z')).to.equal(1_712_917_129_123_456);
    });

    it('gives nothing for what is not an RFC 3339 time', () => {
      for (const value of [
        '2024-04-12',
        '2024-13-40T10:18:49Z',
        'yesterday',
        1_712_917_129,
        null,
      ]) {
        expect(microsFromIso(value), String(value)).to.equal(undefined);
      }
    });

    it('stays exact in a double for present-day times', () => {
      const micros = microsFromIso('2099-12-31T23:59:59.999999Z') as number;
      expect(Number.isSafeInteger(micros)).to.equal(true);
    });
  });

  describe('microsFromEpoch', () => {
    it('scales seconds and milliseconds; nothing for a non-positive or missing time', () => {
      expect(microsFromEpoch(1_700_000_000, 'seconds')).to.equal(1_700_000_000_000_000);
      expect(microsFromEpoch(1_700_000_000_123, 'milliseconds')).to.equal(1_700_000_000_123_000);
      expect(microsFromEpoch(0, 'seconds')).to.equal(undefined);
      expect(microsFromEpoch('1700000000', 'seconds')).to.equal(undefined);
    });
  });

  describe('objectRef', () => {
    it('needs a type and an id; numeric ids become strings', () => {
      expect(objectRef('transaction', 302_961)).to.deep.equal({
        type: 'transaction',
        id: '302961',
      });
      expect(objectRef(undefined, 'x')).to.equal(undefined);
      expect(objectRef('transaction', '')).to.equal(undefined);
      expect(objectRef('transaction', 'x', 1.5)).to.deep.equal({ type: 'transaction', id: 'x' });
    });
  });

  describe('paymentFacts', () => {
    const reading = {
      signal: 'payment:succeeded' as const,
      paymentId: 'p_1',
      currency: 'usd',
      amount: (currency: string) => minorUnits(2000, currency),
      status: 'ok',
    };

    it('falls back to the payment id for the reference and to {} for metadata', () => {
      expect(paymentFacts(reading)).to.deep.equal({
        payment: {
          signal: 'payment:succeeded',
          key: 'payment:succeeded:p_1',
          facts: {
            reference: 'p_1',
            paymentId: 'p_1',
            amount: 2000,
            currency: 'USD',
            status: 'ok',
            metadata: {},
          },
        },
      });
      expect(paymentFacts({ ...reading, metadata: [1, 2] }).payment?.facts.metadata).to.deep.equal(
        {},
      );
    });

    it('says why it reports nothing without a payment id or with an unreadable amount', () => {
      expect(paymentFacts({ ...reading, paymentId: null }).problem).to.equal(
        'payment:succeeded not reported: the event carries no payment id',
      );
      expect(
        paymentFacts({ ...reading, amount: (currency) => minorUnits('12.5', currency) }).problem,
      ).to.match(/^payment:succeeded not reported for p_1: "12\.5" is not a whole number of USD/);
    });
  });

  describe('readingFacts', () => {
    it('turns an unexpected throw into a problem, so storing an event never fails on facts', () => {
      const facts = readingFacts('acme', () => {
        throw new TypeError('boom');
      });
      expect(facts('thing.happened', {})).to.deep.equal({
        problem: 'acme facts of thing.happened could not be read: boom',
      });
    });

    it('reads nothing from a payload that is not an object', () => {
      const facts = readingFacts('acme', () => ({ object: { type: 't', id: '1' } }));
      expect(facts('x', [])).to.deep.equal({});
      expect(facts('x', 'text')).to.deep.equal({});
      expect(facts('x', {})).to.deep.equal({ object: { type: 't', id: '1' } });
    });
  });
});
