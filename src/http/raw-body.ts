/**
 * Gets the body byte for byte: from the request stream (raw-body, bounded by `bodyLimit`), or
 * from the raw text a body parser that ran first kept (koa-bodyparser's `ctx.request.rawBody`,
 * koa-body's unparsed body with `includeUnparsed: true`).
 */
import type { Context } from 'koa';
import getRawBody from 'raw-body';
import { PaymentsError } from '../errors.js';

const UNPARSED = Symbol.for('unparsedBody');

/** The body is gone: a body parser consumed the stream and kept no raw copy. */
export class RawBodyUnavailableError extends PaymentsError {
  constructor() {
    super(
      'raw_body_unavailable',
      500,
      'The raw request body is not available: a body parser consumed it before koa-payments. ' +
        'Mount the koa-payments middleware before the body parser (or keep the raw body: ' +
        'koa-bodyparser does by default, koa-body with includeUnparsed: true). Signatures are computed over the exact bytes received.',
      { expose: true },
    );
    this.name = 'RawBodyUnavailableError';
  }
}

/**
 * The client closed the connection before its body had all arrived: nothing to verify, and no
 * one to answer. Not a misconfiguration, so it is logged at debug only.
 */
export class ClientAbortedError extends PaymentsError {
  constructor(cause?: unknown) {
    super(
      'client_aborted',
      400,
      'The client closed the connection before the request body had arrived.',
      { cause },
    );
    this.name = 'ClientAbortedError';
  }
}

function tooLarge(limit: number, source: string): PaymentsError {
  return new PaymentsError(
    'payload_too_large',
    413,
    `The request body is larger than the ${limit}-byte limit (${source}).`,
  );
}

/** What a body parser left behind, if it kept the raw text. */
function keptRawBody(ctx: Context): Buffer | undefined {
  const request = ctx.request as Context['request'] & { rawBody?: unknown; body?: unknown };
  if (typeof request.rawBody === 'string') return Buffer.from(request.rawBody, 'utf8');
  if (Buffer.isBuffer(request.rawBody)) return request.rawBody;
  const body = request.body as Record<symbol, unknown> | undefined;
  if (body !== null && typeof body === 'object') {
    const unparsed = body[UNPARSED];
    if (typeof unparsed === 'string') return Buffer.from(unparsed, 'utf8');
    if (Buffer.isBuffer(unparsed)) return unparsed;
  }
  return undefined;
}

function timedOut(timeoutMs: number): PaymentsError {
  return new PaymentsError(
    'body_timeout',
    408,
    `The request body did not arrive within ${timeoutMs} ms (bodyTimeout).`,
  );
}

/**
 * Reads the raw body of `ctx`, at most `limit` bytes, within `timeoutMs` of the call: a deadline
 * for the whole body, so that a client trickling a byte at a time is cut too. `source` names the
 * limit in the 413's message (`bodyLimit`, or a provider's own smaller limit).
 */
export async function readRawBody(
  ctx: Context,
  limit: number,
  timeoutMs: number,
  source = 'bodyLimit',
): Promise<Buffer> {
  const kept = keptRawBody(ctx);
  if (kept !== undefined) {
    if (kept.length > limit) throw tooLarge(limit, source);
    return kept;
  }
  const req = ctx.req;
  // Read to its end already: a body parser took it. Destroyed before its end: the client left.
  if (req.readableEnded) throw new RawBodyUnavailableError();
  if (req.destroyed) throw new ClientAbortedError();
  const declared = req.headers['content-length'];
  const length = declared !== undefined && /^\d+$/.test(declared) ? Number(declared) : undefined;
  if (length !== undefined && length > limit) throw tooLarge(limit, source);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      req.pause(); // the rest is not read; the middleware closes the connection
      reject(timedOut(timeoutMs));
    }, timeoutMs);
  });
  try {
    return await Promise.race([
      getRawBody(req, { limit, ...(length === undefined ? {} : { length }) }),
      deadline,
    ]);
  } catch (error) {
    if (error instanceof PaymentsError) throw error;
    const type = (error as { type?: string }).type;
    if (type === 'entity.too.large') throw tooLarge(limit, source);
    if (type === 'request.aborted') throw new ClientAbortedError(error);
    throw new PaymentsError(
      'invalid_signature',
      400,
      'The request body could not be read completely.',
      { cause: error },
    );
  } finally {
    clearTimeout(timer);
  }
}
