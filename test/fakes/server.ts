/**
 * A loopback HTTP server standing in for a provider API: it records every request it sees and
 * answers through a route function, unless a scripted answer (a 429 with Retry-After, a 500, a
 * hung socket) is queued for the next matching requests.
 */
import {
  createServer,
  type IncomingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as the fake saw it. */
export interface SeenRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

/** An answer: status, JSON body (or text), headers. */
export interface FakeAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * `'hang'`: accept the request and never answer (the connection stays open); `'stall'`: send the
 * status line, the headers and part of the body, then nothing more.
 */
export type Scripted = FakeAnswer | 'hang' | 'stall';

/** Answers a request the script does not cover. */
export type Route = (request: SeenRequest) => FakeAnswer;

/** A fake provider API on 127.0.0.1. */
export class LoopbackFake {
  /** Every request received, in order. */
  readonly requests: SeenRequest[] = [];
  readonly #route: Route;
  readonly #script: { match: (request: SeenRequest) => boolean; answers: Scripted[] }[] = [];
  readonly #defaultHeaders: () => Record<string, string>;
  readonly #holds: { prefix: string; released: Promise<void>; arrived(): void }[] = [];
  #server: Server | undefined;
  #origin: string | undefined;

  constructor(route: Route, defaultHeaders: () => Record<string, string> = () => ({})) {
    this.#route = route;
    this.#defaultHeaders = defaultHeaders;
  }

  /** `http://127.0.0.1:<port>`, once started. */
  get origin(): string {
    if (this.#origin === undefined) throw new Error('the fake is not started');
    return this.#origin;
  }

  /** Starts listening on an ephemeral loopback port. */
  async start(): Promise<this> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'http://fake.invalid');
        const seen: SeenRequest = {
          method: req.method ?? 'GET',
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        this.requests.push(seen);
        const respond = () => {
          const answer = this.#scripted(seen) ?? this.#route(seen);
          if (answer === 'hang') return;
          if (answer === 'stall') {
            res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
            res.write('{"partial":');
            return;
          }
          this.#send(res, answer);
        };
        const held = this.#holds.findIndex((hold) => seen.path.startsWith(hold.prefix));
        if (held === -1) return respond();
        const [hold] = this.#holds.splice(held, 1);
        hold?.arrived();
        void hold?.released.then(respond);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    this.#server = server;
    this.#origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  /**
   * Queues answers for the next requests matching `match` (a path prefix or a predicate), one
   * request each, before the route answers again.
   */
  script(match: string | ((request: SeenRequest) => boolean), ...answers: Scripted[]): this {
    const test = typeof match === 'string' ? (r: SeenRequest) => r.path.startsWith(match) : match;
    this.#script.push({ match: test, answers: [...answers] });
    return this;
  }

  /**
   * Holds the answer to the next request whose path starts with `prefix` until `released`
   * resolves (the answer is made then); resolves once that request has arrived.
   */
  hold(prefix: string, released: Promise<void>): Promise<void> {
    return new Promise((arrived) => {
      this.#holds.push({ prefix, released, arrived });
    });
  }

  /** The requests whose path starts with `prefix`. */
  seen(prefix = '/'): SeenRequest[] {
    return this.requests.filter((request) => request.path.startsWith(prefix));
  }

  /** Stops the server, dropping hung connections. */
  async close(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    this.#server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #scripted(request: SeenRequest): Scripted | undefined {
    const entry = this.#script.find((item) => item.answers.length > 0 && item.match(request));
    return entry?.answers.shift();
  }

  #send(res: ServerResponse, answer: FakeAnswer): void {
    const text =
      typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? null);
    res.writeHead(answer.status, {
      'content-type': typeof answer.body === 'string' ? 'text/plain' : 'application/json',
      ...this.#defaultHeaders(),
      ...answer.headers,
    });
    res.end(text);
  }
}

/**
 * Before each test of the enclosing `describe`: a fake made by `make`, started; after each,
 * closed. Register it before a `servedForEach` whose settings point at the fake.
 */
export function fakeForEach<F extends LoopbackFake>(make: () => F): { readonly current: F } {
  const holder = {} as { current: F };
  beforeEach(async () => {
    holder.current = await make().start();
  });
  afterEach(() => holder.current.close());
  return holder;
}

/** The bearer token of a request, or undefined. */
export function bearer(request: SeenRequest): string | undefined {
  const value = request.headers.authorization;
  return typeof value === 'string' && value.startsWith('Bearer ') ? value.slice(7) : undefined;
}
