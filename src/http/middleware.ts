/**
 * The Koa middleware: routes `<prefix>/<variant>/` (slash optional) to the pipeline and answers
 * in JSON; every other path goes to `next()`.
 */
import type { Context, Middleware, Next } from 'koa';
import { PaymentsError } from '../errors.js';
import type { Ticket } from '../pipeline.js';
import type { WebhookRequest } from '../providers/types.js';
import type { WebhookRecord } from '../telemetry/telemetry.js';
import type { Logger, Received } from '../types.js';
import type { FailedRequest } from './failed-requests.js';
import { RawBodyUnavailableError, readRawBody } from './raw-body.js';
import { remoteIp, type TrustProxy } from './remote-ip.js';
import { sendError, sendMethodNotAllowed, sendReceived } from './responses.js';

/** What the middleware needs from its `payments()` instance. */
export interface MiddlewareOptions {
  prefix: string;
  bodyLimit: number;
  /** Milliseconds for the whole body to arrive (408 `body_timeout` past it). */
  bodyTimeout: number;
  logger: Logger;
  dispatch: 'inline' | 'background';
  hasVariant(variant: string): boolean;
  /**
   * A variant's own body limit, when its provider sets one smaller than `bodyLimit` (Mollie's
   * classic webhooks): `{ limit, source }`, `source` naming it in the 413's message.
   */
  bodyLimitOf?(variant: string): { limit: number; source: string } | undefined;
  trustProxy: TrustProxy;
  /**
   * Takes a webhook in: returns the function to call once it is answered (`close()` waits for
   * it); throws the 503 `store_unavailable` once `close()` has been called.
   */
  admit(): () => void;
  /** Throws the 503 `store_unavailable` once `close()` has been called (counts nothing in). */
  refuseIfClosing(): void;
  /** Starts the telemetry record (span, count, duration) of a POST to a configured variant. */
  webhook(variant: string): WebhookRecord;
  /** Counts a request to a variant that does not exist. */
  unknownVariant(): void;
  /** Called once, on the first request the middleware sees (whatever its path). */
  onFirstRequest(): void;
  /** The pipeline's ticket for a request on its way, given back to `receive` with the request. */
  ticket(): Ticket;
  receive(variant: string, request: WebhookRequest, ticket: Ticket): Promise<Received>;
  /** Records a request that stored no event (the request log); never rejects. */
  logFailure(
    variant: string,
    request: FailedRequest,
    statusCode: number,
    error: PaymentsError,
  ): Promise<void>;
}

/**
 * The variant a request is for, or undefined when the path is not a variant route. Under a
 * @koa/router route with a `:variant` parameter, the parameter decides.
 */
function variantOf(ctx: Context, prefix: string): string | undefined {
  const params = (ctx as Context & { params?: Record<string, string> }).params;
  if (typeof params?.variant === 'string' && params.variant !== '') return params.variant;
  const path = ctx.path;
  if (!path.startsWith(`${prefix}/`)) return undefined;
  const rest = path.slice(prefix.length + 1);
  const segment = rest.endsWith('/') ? rest.slice(0, -1) : rest;
  if (segment === '' || segment.includes('/')) return undefined;
  return segment;
}

/** Builds the named middleware. */
export function createMiddleware(options: MiddlewareOptions): Middleware {
  const { prefix, bodyLimit, bodyTimeout, logger, dispatch, trustProxy } = options;
  let warnedRawBody = false;
  let started = false;

  return async function koaPayments(ctx: Context, next: Next): Promise<void> {
    if (!started) {
      started = true;
      options.onFirstRequest();
    }
    const variant = variantOf(ctx, prefix);
    if (variant === undefined) return next();
    if (!options.hasVariant(variant)) {
      options.unknownVariant();
      sendError(
        ctx,
        new PaymentsError('unknown_variant', 404, 'No payment variant is configured at this path.'),
      );
      return;
    }
    if (ctx.method !== 'POST') {
      sendMethodNotAllowed(ctx);
      return;
    }
    const record = options.webhook(variant);
    await record.run(() => receiveWebhook(ctx, variant, record));
  };

  /** Reads, receives and answers one POST to a variant; ends its telemetry record. */
  async function receiveWebhook(ctx: Context, variant: string, record: WebhookRecord) {
    const receivedAt = new Date();
    const ip = remoteIp(ctx.req, trustProxy);
    let rawBody: Buffer | undefined;
    // The ticket is taken only once the body is here: a commit waits for webhooks being
    // verified, never for a client that is slow to send (it could hold every batch open).
    let ticket: Ticket | undefined;
    let answered: (() => void) | undefined;
    try {
      // Refused at once after close(); counted in (close() waits for it) only once its body is
      // here: a body on its way has nothing stored, and a client slow to send it must not hold
      // close() up to its deadline (it is refused, and the provider retries).
      options.refuseIfClosing();
      const own = options.bodyLimitOf?.(variant);
      rawBody =
        own === undefined || own.limit >= bodyLimit
          ? await readRawBody(ctx, bodyLimit, bodyTimeout)
          : await readRawBody(ctx, own.limit, bodyTimeout, own.source);
      answered = options.admit();
      ticket = options.ticket();
      const request: WebhookRequest = {
        headers: ctx.req.headers,
        rawBody,
        url: ctx.href,
        receivedAt,
      };
      if (ip !== undefined) (request as { remoteIp?: string }).remoteIp = ip;
      const received = await options.receive(variant, request, ticket);
      if (dispatch === 'inline') await received.dispatched;
      sendReceived(ctx, received);
      record.end(
        received.duplicate
          ? 'duplicate'
          : received.event.status === 'ignored'
            ? 'ignored'
            : 'stored',
      );
    } catch (caught) {
      ticket?.close();
      let error: PaymentsError;
      if (caught instanceof PaymentsError) {
        error = caught;
        if (error instanceof RawBodyUnavailableError && !warnedRawBody) {
          warnedRawBody = true;
          logger.error({ variant }, error.message);
        }
        logger.debug(
          { variant, code: error.code, reason: (error as { reason?: string }).reason },
          'koa-payments: webhook refused',
        );
      } else {
        logger.error(
          { err: caught, variant },
          'koa-payments: unexpected error receiving a webhook',
        );
        error = new PaymentsError('internal_error', 500, 'Internal error.', { expose: false });
      }
      sendError(ctx, error);
      record.end(error.status >= 500 ? 'failed' : 'refused', error.code);
      // The rest of a late body is never read: close the connection after the answer rather
      // than let the client go on sending it.
      if (error.code === 'body_timeout') ctx.set('Connection', 'close');
      await options.logFailure(
        variant,
        {
          headers: ctx.req.headers,
          rawBody,
          receivedAt,
          ...(ip === undefined ? {} : { remoteIp: ip }),
        },
        error.status,
        error,
      );
    } finally {
      answered?.();
    }
  }
}
