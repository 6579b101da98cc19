/**
 * The client address of a request: the socket's, or with `trustProxy` the first address of
 * X-Forwarded-For (the client as the first proxy saw it). Ports are stripped and IPv4-mapped
 * IPv6 addresses (`::ffff:1.2.3.4`) are shown as IPv4. The one place addresses are parsed: the
 * request log and IP allow-lists (Paystack's `allowedIps`) read them with these rules.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/** Normalises one address: strips brackets, ports, zone ids and the IPv4-mapped prefix. */
export function normalizeIp(value: string): string | undefined {
  let ip = value.trim();
  if (ip === '') return undefined;
  if (ip.startsWith('[')) {
    // [v6]:port or [v6]
    const end = ip.indexOf(']');
    if (end < 0) return undefined;
    ip = ip.slice(1, end);
  } else if (ip.includes('.') && ip.indexOf(':') === ip.lastIndexOf(':') && ip.includes(':')) {
    ip = ip.slice(0, ip.indexOf(':')); // v4:port
  }
  const zone = ip.indexOf('%');
  if (zone >= 0) ip = ip.slice(0, zone);
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (mapped) ip = mapped[1]!;
  return isIP(ip) === 0 ? undefined : ip.toLowerCase();
}

/** The first address of X-Forwarded-For, normalised; undefined when absent or not an address. */
export function forwardedIp(headers: IncomingHttpHeaders): string | undefined {
  const forwarded = headers['x-forwarded-for'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0];
  return first === undefined ? undefined : normalizeIp(first);
}

/** The client address of `req`: with `trustProxy` the forwarded one when valid, else the socket's. */
export function remoteIp(req: IncomingMessage, trustProxy: boolean): string | undefined {
  if (trustProxy) {
    const ip = forwardedIp(req.headers);
    if (ip !== undefined) return ip;
  }
  const socket = req.socket;
  let ip = socketIps.get(socket);
  if (ip === undefined && socket.remoteAddress !== undefined) {
    ip = normalizeIp(socket.remoteAddress) ?? null;
    socketIps.set(socket, ip);
  }
  return ip ?? undefined;
}

/** Each socket's address, normalised once: a keep-alive connection brings many requests. */
const socketIps = new WeakMap<object, string | null>();
