/** JSON answers of the middleware. Error bodies never echo a secret or the payload. */
import type { Context } from 'koa';
import { PaymentsError, SignatureVerificationError } from '../errors.js';

/** Body of a 200. */
export interface ReceivedBody {
  received: true;
  /** The provider's event id (or the derived one). */
  event: string;
  duplicate: boolean;
}

/** Body of every error answer. */
export interface ErrorBody {
  error: { code: string; message: string; reason?: string };
}

/** Answers 200 for a stored (or already stored) event. */
export function sendReceived(ctx: Context, eventId: string, duplicate: boolean): void {
  ctx.status = 200;
  ctx.body = { received: true, event: eventId, duplicate } satisfies ReceivedBody;
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
