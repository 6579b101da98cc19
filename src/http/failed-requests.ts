/**
 * The request-log line of a request that stored no event (refused, unverified, failed), written
 * apart from any storing transaction.
 */
import { type PaymentsError, SignatureVerificationError } from '../errors.js';
import type { WebhookRequest } from '../providers/types.js';
import type { RequestLog } from '../store/requests.js';
import type { Logger } from '../types.js';

/** A request as the middleware has it when it fails: its body may not have been read. */
export type FailedRequest = Omit<WebhookRequest, 'rawBody' | 'url'> & {
  rawBody: Buffer | undefined;
};

/**
 * Logs a request that did not end in a stored event. Never throws: the log must not change
 * the answer (with the store down, this insert fails too).
 */
export async function logFailedRequest(
  requestLog: RequestLog | undefined,
  logger: Logger,
  failure: { variant: string; request: FailedRequest; statusCode: number; error: PaymentsError },
): Promise<void> {
  if (requestLog === undefined) return;
  const { variant, request, statusCode, error } = failure;
  const reason = error instanceof SignatureVerificationError ? `:${error.reason}` : '';
  try {
    await requestLog.insert({
      variant,
      receivedAt: request.receivedAt,
      remoteIp: request.remoteIp,
      headers: request.headers,
      rawBody: request.rawBody,
      valid: false,
      statusCode,
      error: `${error.code}${reason}`,
      event: undefined,
    });
  } catch (logError) {
    logger.debug(
      { err: logError, variant },
      'koa-payments: could not write the request log line of a failed request',
    );
  }
}
