import { expect } from 'chai';
import { anySignatureMatches, safeEqual } from '../../../src/providers/shared/signature.js';

describe('signature helpers', () => {
  it('safeEqual compares content, and refuses different lengths', () => {
    expect(safeEqual('abc', 'abc')).to.equal(true);
    expect(safeEqual('abc', 'abd')).to.equal(false);
    expect(safeEqual('abc', 'abcd')).to.equal(false);
  });

  it('anySignatureMatches accepts any secret against any received signature', () => {
    const sign = (key: string) => `sig-${key}`;
    expect(anySignatureMatches(['old', 'new'], sign, ['sig-new'])).to.equal(true);
    expect(anySignatureMatches(['old', 'new'], sign, ['junk', 'sig-old'])).to.equal(true);
    expect(anySignatureMatches(['old', 'new'], sign, ['sig-other'])).to.equal(false);
    expect(anySignatureMatches([], sign, ['sig-old'])).to.equal(false);
    expect(anySignatureMatches(['old'], sign, [])).to.equal(false);
  });

  it('anySignatureMatches signs with every secret, even after a match (no early exit)', () => {
    const signed: string[] = [];
    const sign = (key: string) => {
      signed.push(key);
      return `sig-${key}`;
    };
    expect(anySignatureMatches(['first', 'second', 'third'], sign, ['sig-first'])).to.equal(true);
    expect(signed).to.deep.equal(['first', 'second', 'third']);
  });
});
