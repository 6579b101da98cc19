/** JSON answers of the middleware. Error bodies never echo a secret or the payload. */
import type { Context } from 'koa';
import { PaymentsError, SignatureVerificationError, WebhookUnauthorizedError } from '../errors.js';
import type { Received } from '../types.js';

/** Body of a 200. */
export interface ReceivedBody {
  received: true;
  /** The provider's event id (or the derived one); the first, when the request carried several. */
  event: string;
  /** Whether it was stored before; with several events, whether every one was. */
  duplicate: boolean;
  /** Each event, in the provider's order, when the request carried several. */
  events?: { event: string; duplicate: boolean }[];
}

/** Body of every error answer. */
export interface ErrorBody {
  error: { code: string; message: string; reason?: string };
}

/** The JSON body of a 200 for a request whose events were stored (or already were). */
export function receivedBody(received: Received): ReceivedBody {
  const body: ReceivedBody = {
    received: true,
    event: received.event.eventId,
    duplicate: received.duplicate,
  };
  if (received.events.length > 1) {
    body.events = received.events.map(({ event, duplicate }) => ({
      event: event.eventId,
      duplicate,
    }));
  }
  return body;
}

/**
 * Answers a request whose events were stored (or already were): with the provider's own answer
 * when it has one (Adyen's `[accepted]`), else 200 and the JSON {@link ReceivedBody}.
 */
export function sendReceived(ctx: Context, received: Received): void {
  const { answer } = received;
  if (answer === undefined) {
    ctx.status = 200;
    ctx.body = receivedBody(received);
    return;
  }
  ctx.status = answer.status ?? 200;
  ctx.type = answer.contentType;
  ctx.body = answer.body;
}

/** Answers an error. Unexposed messages (5xx bugs) are replaced by a generic one. */
export function sendError(ctx: Context, error: PaymentsError): void {
  const body: ErrorBody = {
    error: {
      code: error.code,
      message: error.expose ? error.message : 'Internal error while receiving the webhook.',
    },
  };
  if (error instanceof SignatureVerificationError) body.error.reason = error.reason;
  if (error instanceof WebhookUnauthorizedError) ctx.set('WWW-Authenticate', error.challenge);
  ctx.status = error.status;
  ctx.body = body;
}

/** 405 for anything but POST on a variant. */
export function sendMethodNotAllowed(ctx: Context): void {
  ctx.set('Allow', 'POST');
  sendError(
    ctx,
    new PaymentsError(
      'method_not_allowed',
      405,
      `${ctx.method} is not allowed; webhooks are POSTed.`,
    ),
  );
}
