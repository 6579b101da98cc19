/** Database errors as they are logged (src/store/database-errors.ts): no bound values. */
import { expect } from 'chai';
import knexFactory from 'knex';
import { createRegistry, type Payments, payments } from '../../src/index.js';
import { withoutBoundValues } from '../../src/store/database-errors.js';
import { signWebhook } from '../../src/testing/index.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js';
import { recordingLogger } from '../helpers/logs.js';
import { webhookRequest } from '../helpers/provider.js';
import { tempDir } from '../helpers/server.js';

const SECRET = 'whsec_database_errors_test';
const PAYLOAD_MARKER = 'PAYLOAD-MARKER-77a1';
const HEADER_MARKER = 'HEADER-MARKER-5b0c';

/**
 * An error as a logger serialises it (pino's `err` serializer): its name, message and stack,
 * every enumerable field, and its causes.
 */
function serialised(error: unknown, depth = 0): unknown {
  if (!(error instanceof Error) || depth > 10) return error;
  return {
    ...Object.fromEntries(Object.entries(error)),
    name: error.name,
    message: error.message,
    stack: error.stack,
    cause: serialised((error as { cause?: unknown }).cause, depth + 1),
  };
}

for (const dialect of DIALECTS)
  describe(`database errors in the log on ${dialect}`, () => {
    let db: TestDatabase;
    let pay: Payments;
    let logger: ReturnType<typeof recordingLogger>;

    beforeEach(async () => {
      db = await createTestDatabase(dialect);
      logger = recordingLogger();
      pay = payments({
        database: db.setting,
        registry: createRegistry(),
        logger,
        worker: false,
        variants: { stripe: { provider: 'stripe', endpointSecret: SECRET } },
      });
      await pay.migrate();
    });
    afterEach(async () => {
      await pay.close();
      await db.cleanup();
    });

    /** Receives a webhook whose payload and headers carry the markers; resolves with the answer code. */
    async function receiveMarked(): Promise<string | undefined> {
      // The marker comes first in the body, where Postgres quotes a failing row.
      const payload = { description: PAYLOAD_MARKER, id: 'evt_marked', type: 'charge.succeeded' };
      const { body, headers } = signWebhook('stripe', { payload, secret: SECRET });
      // The marker header comes first too, within the 64 characters Postgres quotes of a value.
      const request = webhookRequest(body, { 'x-note': HEADER_MARKER, ...headers });
      try {
        await pay.receive('stripe', request);
        return undefined;
      } catch (error) {
        return (error as { code?: string }).code;
      }
    }

    /** Makes the database refuse, as `name`, a row of `table` whose `column` holds `marker`. */
    async function refuseRowsHolding(table: string, column: string, marker: string, name: string) {
      await db.reader.raw(
        dialect === 'postgres'
          ? `ALTER TABLE ${table} ADD CONSTRAINT ${name} CHECK (${column} NOT LIKE '%${marker}%')`
          : // SQLite cannot add a constraint to a table: a trigger refuses the row instead.
            `CREATE TRIGGER ${name} BEFORE INSERT ON ${table} WHEN NEW.${column} LIKE '%${marker}%' BEGIN SELECT RAISE(ABORT, '${name}'); END`,
      );
    }

    /** The error logged for the failed store, as a logger serialises it. */
    function loggedError(): string {
      const [entry, ...more] = logger.at('error');
      expect(more).to.deep.equal([]);
      expect(entry?.message).to.match(/the event store is unavailable/);
      return JSON.stringify(serialised(entry?.fields.err));
    }

    it('logs a failed insert of the event without its payload', async () => {
      await refuseRowsHolding('payments_events', 'payload', PAYLOAD_MARKER, 'no_payload_marker');
      expect(await receiveMarked()).to.equal('store_unavailable');
      const logged = loggedError();
      expect(logged).to.match(/no_payload_marker/); // it still says what failed
      expect(logged).not.to.contain(PAYLOAD_MARKER);
      expect(logged).not.to.contain('evt_marked');
    });

    it('logs a failed insert of the request-log line without its headers', async () => {
      await refuseRowsHolding('payments_requests', 'headers', HEADER_MARKER, 'no_header_marker');
      expect(await receiveMarked()).to.equal('store_unavailable');
      const logged = loggedError();
      expect(logged).to.match(/no_header_marker/);
      expect(logged).not.to.contain(HEADER_MARKER);
      expect(logged).not.to.contain(PAYLOAD_MARKER);
    });
  });

describe('withoutBoundValues', () => {
  it('drops the values Knex inlines into the message and the stack (SQLite)', async () => {
    const tmp = tempDir();
    const knex = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: tmp.file() },
      useNullAsDefault: true,
    });
    try {
      await knex.raw(
        'CREATE TABLE t (payload TEXT CONSTRAINT short_payload CHECK (length(payload) < 10))',
      );
      const error = await knex('t')
        .insert({ payload: `{"card":"${PAYLOAD_MARKER}"}` })
        .then(
          () => undefined,
          (caught: unknown) => caught as Error,
        );
      expect(error?.message).to.contain(PAYLOAD_MARKER); // what Knex does
      const safe = withoutBoundValues(error) as Error & { code?: string };
      expect(JSON.stringify(serialised(safe))).not.to.contain(PAYLOAD_MARKER);
      expect(safe.message).to.equal('CHECK constraint failed: short_payload');
      expect(safe.code).to.equal('SQLITE_CONSTRAINT_CHECK');
      expect(safe.stack).to.match(/^SqliteError: CHECK constraint failed/);
      expect(error?.message).to.contain(PAYLOAD_MARKER); // the original is left as it was
    } finally {
      await knex.destroy();
      tmp.remove();
    }
  });

  it("drops a Knex timeout's sql and bindings", () => {
    const timeout = Object.assign(
      new Error('Defined query timeout of 5ms exceeded when running query.'),
      {
        name: 'KnexTimeoutError',
        sql: 'insert into payments_events (payload) values (?)',
        bindings: [PAYLOAD_MARKER],
        timeout: 5,
      },
    );
    const safe = withoutBoundValues(timeout);
    expect(JSON.stringify(serialised(safe))).not.to.contain(PAYLOAD_MARKER);
    expect((safe as Error).message).to.equal(timeout.message);
  });

  it('keeps other errors as they are, and copies one whose cause is a database error', () => {
    const plain = new TypeError('order 42 is not in the database');
    expect(withoutBoundValues(plain)).to.equal(plain);
    expect(withoutBoundValues('a string')).to.equal('a string');
    const database = Object.assign(new Error(`insert into t values ('${PAYLOAD_MARKER}') - boom`), {
      name: 'SqliteError',
      code: 'SQLITE_ERROR',
    });
    const wrapper = new Error('The event store is unavailable.', { cause: database });
    const safe = withoutBoundValues(wrapper) as Error;
    expect(safe).not.to.equal(wrapper);
    expect(safe.message).to.equal(wrapper.message);
    expect(safe.stack).to.equal(wrapper.stack);
    expect(JSON.stringify(serialised(safe))).not.to.contain(PAYLOAD_MARKER);
    expect((safe.cause as Error).message).to.equal('boom');
    expect((wrapper.cause as Error).message).to.contain(PAYLOAD_MARKER);
  });
});
