import type { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { expect } from 'chai';
import { forwardedIp, normalizeIp, remoteIp } from '../../src/http/remote-ip.js';

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

describe('the client entry of X-Forwarded-For', () => {
  const xff = (value: string | string[]) => ({ 'x-forwarded-for': value });

  it('with true, takes the first entry (a proxy that replaces the header)', () => {
    expect(forwardedIp(xff('198.51.100.4, 10.0.0.1, 10.0.0.2'), true)).to.equal('198.51.100.4');
  });

  it('with one hop, takes the last entry, the one the proxy appended', () => {
    // The client wrote 52.31.139.75 itself; the proxy appended the address it saw.
    expect(forwardedIp(xff('52.31.139.75, 198.51.100.4'), 1)).to.equal('198.51.100.4');
    expect(forwardedIp(xff('198.51.100.4'), 1)).to.equal('198.51.100.4');
  });

  it('with two hops, takes the second entry from the right', () => {
    expect(forwardedIp(xff('52.31.139.75, 198.51.100.4, 10.0.0.1'), 2)).to.equal('198.51.100.4');
    expect(forwardedIp(xff('1.1.1.1, 2.2.2.2, 198.51.100.4, 10.0.0.1'), 2)).to.equal(
      '198.51.100.4',
    );
  });

  it('with fewer entries than hops, takes the leftmost one present, as Express does', () => {
    expect(forwardedIp(xff('198.51.100.4'), 2)).to.equal('198.51.100.4');
    expect(forwardedIp(xff('198.51.100.4, 10.0.0.1'), 5)).to.equal('198.51.100.4');
  });

  it('reads several header lines as one list, in order', () => {
    expect(forwardedIp(xff(['52.31.139.75', '198.51.100.4, 10.0.0.1']), 2)).to.equal(
      '198.51.100.4',
    );
    expect(forwardedIp(xff(['198.51.100.4', '10.0.0.1']), true)).to.equal('198.51.100.4');
  });

  it('normalises the chosen entry: spaces, ports, IPv6 brackets, IPv4-mapped', () => {
    expect(forwardedIp(xff('1.1.1.1,   198.51.100.4:5555  '), 1)).to.equal('198.51.100.4');
    expect(forwardedIp(xff('1.1.1.1, [2001:DB8::7]:443'), 1)).to.equal('2001:db8::7');
    expect(forwardedIp(xff('1.1.1.1,2001:db8::7'), 1)).to.equal('2001:db8::7');
    expect(forwardedIp(xff('1.1.1.1, ::ffff:198.51.100.4'), 1)).to.equal('198.51.100.4');
    expect(forwardedIp(xff('[::ffff:198.51.100.4]:80, 10.0.0.1'), 2)).to.equal('198.51.100.4');
  });

  it('gives nothing when the chosen entry is no address, never an entry further left', () => {
    // Left of the chosen entry is what the client wrote: falling back to it would hand the
    // client the address again.
    expect(forwardedIp(xff('52.31.139.75, unknown'), 1)).to.equal(undefined);
    expect(forwardedIp(xff('52.31.139.75, , 10.0.0.1'), 2)).to.equal(undefined);
    expect(forwardedIp(xff('52.31.139.75, '), 1)).to.equal(undefined);
    expect(forwardedIp(xff(''), 1)).to.equal(undefined);
    expect(forwardedIp({}, 1)).to.equal(undefined);
  });
});

describe('the client address of a request', () => {
  function request(headers: Record<string, string>, socketAddress = '::ffff:10.0.0.9') {
    const socket = new Socket();
    Object.defineProperty(socket, 'remoteAddress', { value: socketAddress });
    // As Node gives them: each line apart in headersDistinct, joined with ', ' in headers.
    const headersDistinct = Object.fromEntries(
      Object.entries(headers).map(([name, value]) => [name, value.split('\n')]),
    );
    const joined = Object.fromEntries(
      Object.entries(headers).map(([name, value]) => [name, value.split('\n').join(', ')]),
    );
    return { headers: joined, headersDistinct, socket } as unknown as IncomingMessage;
  }
  const forged = { 'x-forwarded-for': '52.31.139.75, 198.51.100.4' };

  it('is the socket address without trustProxy, whatever the header says', () => {
    expect(remoteIp(request(forged), false)).to.equal('10.0.0.9');
  });

  it('is the entry the hop count points at, or the first with true', () => {
    expect(remoteIp(request(forged), 1)).to.equal('198.51.100.4');
    expect(remoteIp(request(forged), 2)).to.equal('52.31.139.75');
    expect(remoteIp(request(forged), true)).to.equal('52.31.139.75');
  });

  it('reads several header lines as one list under a hop count too, as Express does', () => {
    // HAProxy's option forwardfor adds a line of its own: the last line is the proxy's.
    const lines = { 'x-forwarded-for': '52.31.139.75\n198.51.100.4' };
    expect(remoteIp(request(lines), 1)).to.equal('198.51.100.4');
    expect(remoteIp(request(lines), true)).to.equal('52.31.139.75');
  });

  it('is the socket address when the header is absent or the chosen entry is no address', () => {
    expect(remoteIp(request({}), 1)).to.equal('10.0.0.9');
    expect(remoteIp(request({ 'x-forwarded-for': '52.31.139.75, garbage' }), 1)).to.equal(
      '10.0.0.9',
    );
  });
});
