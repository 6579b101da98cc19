/**
 * CSRF protection of the dashboard's forms, session-less: a signed double-submit cookie.
 *
 * - Each browser gets a random 256-bit value in an HttpOnly, SameSite=Strict cookie (named
 *   `__Host-koa-payments-csrf` over HTTPS, so that a sibling subdomain cannot plant one).
 * - Each form carries `HMAC-SHA256(secret, "csrf" | path | cookie)`, the secret being the
 *   dashboard's (random per process unless configured).
 * - A POST is accepted only when its form token is the HMAC of the cookie it came with (compared
 *   in constant time), and, when the browser says where the request comes from
 *   (`Sec-Fetch-Site`), only from the same origin.
 *
 * Another site can make the browser send the cookie but cannot read it or the page, so it cannot
 * produce the token; a cookie it managed to plant is useless without the secret's HMAC of it.
 * docs/dashboard.md explains the scheme.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';

const COOKIE = 'koa-payments-csrf';
const SECURE_COOKIE = `__Host-${COOKIE}`;
/** Cookie values are 32 random bytes, base64url. */
const VALUE = /^[A-Za-z0-9_-]{43}$/;

/** The keyed hash the dashboard signs with: `sign(purpose, text)` → base64url HMAC-SHA256. */
export type Sign = (purpose: string, text: string) => string;

/** An HMAC-SHA256 signer over `secret`. */
export function signer(secret: Buffer): Sign {
  return (purpose, text) =>
    createHmac('sha256', secret).update(`${purpose}|${text}`).digest('base64url');
}

/** Whether two strings are equal, in time that depends only on their lengths. */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Why a POST was refused. */
export type CsrfFailure = 'cross_site' | 'missing_cookie' | 'bad_token';

/** Issues and checks the tokens of one dashboard. */
export class Csrf {
  readonly #sign: Sign;
  readonly #path: string;

  /** `path` is the dashboard's mount path: a token is valid for that dashboard only. */
  constructor(sign: Sign, path: string) {
    this.#sign = sign;
    this.#path = path;
  }

  #cookieName(ctx: Context): string {
    return ctx.secure ? SECURE_COOKIE : COOKIE;
  }

  #token(cookie: string): string {
    return this.#sign('csrf', `${this.#path}|${cookie}`);
  }

  /**
   * The token for this browser's forms; sets the cookie first when the browser has none (or a
   * malformed one).
   */
  token(ctx: Context): string {
    const name = this.#cookieName(ctx);
    let value = ctx.cookies.get(name);
    if (value === undefined || !VALUE.test(value)) {
      value = randomBytes(32).toString('base64url');
      ctx.cookies.set(name, value, {
        httpOnly: true,
        sameSite: 'strict',
        secure: ctx.secure,
        // A __Host- cookie must have Path=/; otherwise keep it to the dashboard.
        path: ctx.secure ? '/' : this.#path,
        overwrite: true,
      });
    }
    return this.#token(value);
  }

  /** Checks a POST: undefined when it may proceed, else why not. */
  check(ctx: Context, submitted: string | undefined): CsrfFailure | undefined {
    const site = ctx.get('Sec-Fetch-Site');
    if (site !== '' && site !== 'same-origin') return 'cross_site';
    const cookie = ctx.cookies.get(this.#cookieName(ctx));
    if (cookie === undefined || !VALUE.test(cookie)) return 'missing_cookie';
    if (submitted === undefined || !safeEqual(submitted, this.#token(cookie))) return 'bad_token';
    return undefined;
  }
}
