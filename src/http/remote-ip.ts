/**
 * The client address of a request: the socket's, or with `trustProxy` an address of
 * X-Forwarded-For: the first with `true` (a proxy that replaces the header), the Nth from the
 * right with a hop count N (N proxies that append to it). Ports are stripped and IPv4-mapped
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

/**
 * Which X-Forwarded-For entry is the client: `true` the first (the header was replaced by the
 * one proxy in front), a positive integer N the Nth from the right (N proxies each appended the
 * address they saw). `false`: none, the socket's address.
 */
export type TrustProxy = boolean | number;

/**
 * The client's entry of X-Forwarded-For under `trust`, normalised; undefined when the header is
 * absent or that entry is not an address. Several header lines count as one list, in order.
 */
export function forwardedIp(
  headers: IncomingHttpHeaders,
  trust: true | number,
): string | undefined {
  const forwarded = headers['x-forwarded-for'];
  if (forwarded === undefined) return undefined;
  const entries = (Array.isArray(forwarded) ? forwarded.join(',') : forwarded).split(',');
  // The last N entries were appended by our own proxies, the Nth from the right by the
  // outermost, which saw the client; entries further left are the client's to write. With fewer
  // entries than hops, the leftmost one present is taken, as Express does (proxy-addr trusts hop
  // i < N and returns the last address it reaches). An entry that is no address is never skipped
  // for one further left: the caller takes the socket.
  const index = trust === true ? 0 : Math.max(0, entries.length - trust);
  return normalizeIp(entries[index] as string);
}

/**
 * The client address of `req`: with `trustProxy` the forwarded one when valid, else the socket's.
 * Several X-Forwarded-For lines count as one list, in order (Node joins them), as in Express: a
 * proxy that adds a line of its own (HAProxy's `option forwardfor`) is counted right.
 */
export function remoteIp(req: IncomingMessage, trustProxy: TrustProxy): string | undefined {
  if (trustProxy !== false) {
    const ip = forwardedIp(req.headers, trustProxy);
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
