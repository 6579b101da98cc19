/**
 * The result of an action, carried across its redirect (POST → 303 → GET) in a short-lived,
 * signed cookie and shown once by the page the browser lands on (Sidekiq's and Rails' flash,
 * without a session).
 */
import type { Context } from 'koa';
import { type Sign, safeEqual } from './csrf.js';

const COOKIE = 'koa-payments-flash';
/** Longest message kept (a cookie holds about 4 KB). */
const MAX_TEXT = 600;

/** A message for the next page. */
export interface Notice {
  kind: 'ok' | 'error';
  text: string;
}

/** Writes and reads the flash cookie of one dashboard. */
export class Flash {
  readonly #sign: Sign;
  readonly #path: string;

  constructor(sign: Sign, path: string) {
    this.#sign = sign;
    this.#path = path;
  }

  #set(ctx: Context, value: string | null): void {
    ctx.cookies.set(COOKIE, value, {
      httpOnly: true,
      sameSite: 'strict',
      secure: ctx.secure,
      path: this.#path,
      maxAge: 60_000,
      overwrite: true,
    });
  }

  /** Keeps `notice` for the next page. */
  set(ctx: Context, notice: Notice): void {
    const text = notice.text.length > MAX_TEXT ? `${notice.text.slice(0, MAX_TEXT)}…` : notice.text;
    const payload = Buffer.from(JSON.stringify({ kind: notice.kind, text })).toString('base64url');
    this.#set(ctx, `${payload}.${this.#sign('flash', payload)}`);
  }

  /** The notice left by the last action, if any (and genuine); clears it. */
  take(ctx: Context): Notice | undefined {
    const value = ctx.cookies.get(COOKIE);
    if (value === undefined) return undefined;
    this.#set(ctx, null);
    const [payload = '', signature = ''] = value.split('.');
    if (!safeEqual(signature, this.#sign('flash', payload))) return undefined;
    try {
      const parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Notice;
      if ((parsed.kind === 'ok' || parsed.kind === 'error') && typeof parsed.text === 'string') {
        return { kind: parsed.kind, text: parsed.text };
      }
    } catch {}
    return undefined;
  }
}
