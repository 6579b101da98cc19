/** What an Adyen notification item is about, and the payment signal it reports. */
import { expect } from 'chai';
import { adyenFacts, adyenMinorUnits } from '../../../src/providers/adyen/facts.js';
import { samplePayload } from '../../../src/testing/index.js';

describe('adyen facts', () => {
  it('reports a successful AUTHORISATION as payment:succeeded, keyed by its pspReference', () => {
    const item = samplePayload('adyen', 'AUTHORISATION', {
      eventDate: '2025-03-01T10:15:00+01:00',
      amount: { value: 1999, currency: 'EUR' },
      additionalData: { shopperReference: 'shopper-7', 'metadata.orderId': '42' },
    });
    const facts = adyenFacts('AUTHORISATION', item);
    expect(facts.object).to.deep.equal({
      type: 'payment',
      id: item.pspReference,
      version: Date.parse('2025-03-01T09:15:00Z') * 1000,
    });
    expect(facts.payment?.signal).to.equal('payment:succeeded');
    expect(facts.payment?.key).to.equal(`payment:succeeded:${item.pspReference}`);
    expect(facts.payment?.facts).to.deep.include({
      paymentId: item.pspReference,
      reference: item.merchantReference,
      amount: 1999,
      currency: 'EUR',
      status: 'authorised',
      customer: { id: 'shopper-7' },
      metadata: { orderId: '42' },
    });
  });

  it('reports a refused AUTHORISATION as payment:failed, with its reason as the status', () => {
    const item = samplePayload('adyen', 'AUTHORISATION', { success: 'false', reason: 'Refused' });
    const facts = adyenFacts('AUTHORISATION', item);
    expect(facts.payment?.signal).to.equal('payment:failed');
    expect(facts.payment?.facts.status).to.equal('Refused');
  });

  it('reports a successful REFUND as payment:refunded of the original payment, keyed by the refund', () => {
    const item = samplePayload('adyen', 'REFUND');
    const facts = adyenFacts('REFUND', item);
    expect(facts.object?.id).to.equal(item.originalReference);
    expect(facts.payment?.signal).to.equal('payment:refunded');
    expect(facts.payment?.facts.paymentId).to.equal(item.originalReference);
    expect(facts.payment?.key).to.equal(`payment:refunded:${item.pspReference}`);
  });

  it('reports no payment for CAPTURE, a failed REFUND, REFUND_FAILED or CANCELLATION', () => {
    const cases: [string, Record<string, unknown>][] = [
      ['CAPTURE', {}],
      ['REFUND', { success: 'false' }],
      ['REFUND_FAILED', {}],
      ['CANCELLATION', {}],
    ];
    for (const [type, overrides] of cases) {
      const facts = adyenFacts(type, samplePayload('adyen', type, overrides));
      expect(facts.payment, type).to.equal(undefined);
      expect(facts.problem, type).to.equal(undefined);
      expect(facts.object?.type, type).to.equal('payment');
    }
  });

  it("rescales Adyen's minor units where they differ from ISO 4217, and refuses what would need rounding", () => {
    expect(adyenMinorUnits(150000, 'ISK')).to.equal(1500);
    expect(adyenMinorUnits(250000, 'CLP')).to.equal(2500);
    expect(adyenMinorUnits(1000, 'CVE')).to.equal(100000);
    expect(adyenMinorUnits(15000, 'IDR')).to.equal(1500000);
    expect(adyenMinorUnits(1130, 'EUR')).to.equal(1130);
    expect(adyenMinorUnits(1000, 'JPY')).to.equal(1000);
    expect(adyenMinorUnits(1000, 'KWD')).to.equal(1000);
    const item = samplePayload('adyen', 'AUTHORISATION', {
      amount: { value: 150050, currency: 'ISK' },
    });
    const facts = adyenFacts('AUTHORISATION', item);
    expect(facts.payment).to.equal(undefined);
    expect(facts.problem).to.match(/ISK/);
  });

  it('gives a problem, not a throw, for an unknown currency or an amount that is not an integer', () => {
    for (const amount of [{ value: 10, currency: 'XXX' }, { value: 10.5, currency: 'EUR' }, null]) {
      const facts = adyenFacts(
        'AUTHORISATION',
        samplePayload('adyen', 'AUTHORISATION', { amount }),
      );
      expect(facts.payment, JSON.stringify(amount)).to.equal(undefined);
      expect(facts.problem, JSON.stringify(amount)).to.be.a('string');
    }
  });
});
