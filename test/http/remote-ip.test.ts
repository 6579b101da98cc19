import { expect } from 'chai';
import { normalizeIp } from '../../src/http/remote-ip.js';

describe('remote address normalisation', () => {
  it('strips ports, brackets, zones and the IPv4-mapped prefix', () => {
    expect(normalizeIp('203.0.113.7')).to.equal('203.0.113.7');
    expect(normalizeIp('203.0.113.7:4321')).to.equal('203.0.113.7');
    expect(normalizeIp('::ffff:203.0.113.7')).to.equal('203.0.113.7');
    expect(normalizeIp('[2001:db8::1]:443')).to.equal('2001:db8::1');
    expect(normalizeIp('2001:DB8::1')).to.equal('2001:db8::1');
    expect(normalizeIp('fe80::1%eth0')).to.equal('fe80::1');
    expect(normalizeIp('not-an-ip')).to.equal(undefined);
    expect(normalizeIp('')).to.equal(undefined);
  });
});
