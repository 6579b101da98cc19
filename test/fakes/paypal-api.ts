/**
 * A loopback fake of the PayPal REST endpoints koa-payments calls, answering as
 * developer.paypal.com documents them:
 *
 * - `GET /v1/notifications/certs/:name`: a PEM certificate added with `addCertificate`; 404
 *   otherwise;
 * - `POST /v1/oauth2/token` (Basic `clientId:clientSecret`, form body
 *   `grant_type=client_credentials`): `{ scope, access_token, token_type: 'Bearer', app_id,
 *   expires_in, nonce }`; wrong credentials 401 `{ error: 'invalid_client' }`;
 * - `POST /v1/notifications/verify-webhook-signature` (Bearer token): checks the signature itself,
 *   with node:crypto and zlib (not koa-payments' code), over the `webhook_event` text exactly as
 *   sent, and answers `{ verification_status: 'SUCCESS' | 'FAILURE' }`; an unknown token 401
 *   `{ error: 'invalid_token' }`, a missing field 400 `VALIDATION_ERROR`.
 */
import { createVerify, X509Certificate } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { type FakeAnswer, LoopbackFake, type SeenRequest } from './server.js';

/** The fake PayPal API. */
export class PayPalApiFake extends LoopbackFake {
  readonly #certificates = new Map<string, string>();
  readonly #tokens = new Set<string>();
  /** Seconds the tokens it issues are valid for (PayPal's are 32400). */
  expiresIn = 32_400;

  constructor(
    readonly clientId = 'fake-client-id',
    readonly clientSecret = 'fake-client-secret',
  ) {
    super((request) => this.#answer(request));
  }

  /** Serves `pem` at `path` (`/v1/notifications/certs/...`). */
  addCertificate(path: string, pem: string): this {
    this.#certificates.set(path, pem);
    return this;
  }

  /** The full URL of a path on this fake. */
  url(path: string): string {
    return `${this.origin}${path}`;
  }

  /** Forgets every token it issued (as a revocation would). */
  revokeTokens(): void {
    this.#tokens.clear();
  }

  #answer(request: SeenRequest): FakeAnswer {
    if (request.method === 'GET' && request.path.startsWith('/v1/notifications/certs/')) {
      const pem = this.#certificates.get(request.path);
      return pem === undefined
        ? { status: 404, body: { name: 'RESOURCE_NOT_FOUND', message: 'Not found' } }
        : { status: 200, body: pem, headers: { 'content-type': 'application/x-pem-file' } };
    }
    if (request.method === 'POST' && request.path === '/v1/oauth2/token')
      return this.#token(request);
    if (
      request.method === 'POST' &&
      request.path === '/v1/notifications/verify-webhook-signature'
    ) {
      return this.#verify(request);
    }
    return { status: 404, body: { name: 'RESOURCE_NOT_FOUND', message: 'Not in the fake' } };
  }

  #token(request: SeenRequest): FakeAnswer {
    const expected = `Basic ${Buffer.from(`${this.clientId}:${this.clientSecret}`).toString('base64')}`;
    if (request.headers.authorization !== expected) {
      return {
        status: 401,
        body: { error: 'invalid_client', error_description: 'Client Authentication failed' },
      };
    }
    if (new URLSearchParams(request.body).get('grant_type') !== 'client_credentials') {
      return { status: 400, body: { error: 'unsupported_grant_type' } };
    }
    const token = `A21AA${this.#tokens.size}${Math.random().toString(36).slice(2)}`;
    this.#tokens.add(token);
    return {
      status: 200,
      body: {
        scope: 'https://uri.paypal.com/services/applications/webhooks',
        access_token: token,
        token_type: 'Bearer',
        app_id: 'APP-80W284485P519543T',
        expires_in: this.expiresIn,
        nonce: `${new Date().toISOString()}nonce`,
      },
    };
  }

  #verify(request: SeenRequest): FakeAnswer {
    const auth = request.headers.authorization;
    const token = typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice(7) : '';
    if (!this.#tokens.has(token)) {
      return {
        status: 401,
        body: { error: 'invalid_token', error_description: 'Token signature verification failed' },
      };
    }
    const fields = JSON.parse(request.body) as Record<string, unknown>;
    const required = [
      'auth_algo',
      'cert_url',
      'transmission_id',
      'transmission_sig',
      'transmission_time',
      'webhook_id',
      'webhook_event',
    ];
    const missing = required.filter((field) => fields[field] === undefined);
    if (missing.length > 0) {
      return {
        status: 400,
        body: {
          name: 'VALIDATION_ERROR',
          message: 'Invalid request - see details',
          details: missing.map((field) => ({ field, issue: 'MISSING_REQUIRED_PARAMETER' })),
        },
      };
    }
    // The event text as the client sent it: everything after "webhook_event": up to the last brace.
    const marker = '"webhook_event":';
    const event = request.body.slice(request.body.indexOf(marker) + marker.length, -1);
    const pem = this.#certificates.get(new URL(String(fields.cert_url)).pathname);
    let verified = false;
    if (pem !== undefined && fields.auth_algo === 'SHA256withRSA') {
      const content = [
        fields.transmission_id,
        fields.transmission_time,
        fields.webhook_id,
        crc32(Buffer.from(event, 'utf8')) >>> 0,
      ].join('|');
      verified = createVerify('sha256')
        .update(content)
        .verify(new X509Certificate(pem).publicKey, String(fields.transmission_sig), 'base64');
    }
    return { status: 200, body: { verification_status: verified ? 'SUCCESS' : 'FAILURE' } };
  }
}
