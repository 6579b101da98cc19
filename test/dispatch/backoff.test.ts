import { expect } from 'chai';
import { nextAttemptAt } from '../../src/dispatch/backoff.js';
import { backoffCeiling, backoffDelay } from '../../src/index.js';

const defaults = { maxAttempts: 10, minDelayMs: 10_000, maxDelayMs: 6 * 3600_000, leaseMs: 60_000 };

describe('retry backoff', () => {
  it('grows from seconds to hours with the default settings', () => {
    const ceilings = Array.from({ length: 9 }, (_, i) => backoffCeiling(i + 1, defaults));
    expect(ceilings).to.deep.equal([
      10_000, 40_000, 160_000, 640_000, 2_560_000, 10_240_000, 21_600_000, 21_600_000, 21_600_000,
    ]);
    const worstCase = ceilings.reduce((a, b) => a + b, 0);
    expect(worstCase / 3600_000).to.be.within(20, 24); // about a day, like Svix
  });

  it('spreads retries with full jitter between the minimum and the ceiling', () => {
    expect(backoffDelay(3, defaults, () => 0)).to.equal(10_000);
    expect(backoffDelay(3, defaults, () => 1)).to.equal(160_000);
    expect(backoffDelay(3, defaults, () => 0.5)).to.equal(85_000);
  });

  it('gives no next attempt after the last one', () => {
    const now = new Date(0);
    expect(nextAttemptAt(10, defaults, now)).to.equal(null);
    const next = nextAttemptAt(1, defaults, now)!;
    expect(next.getTime()).to.equal(10_000); // attempt 1: min = ceiling
  });
});
