/**
 * The two writes of a webhook's life, each one unit of work: storing it (store-event.ts) and
 * settling the outcomes of its receivers (settle.ts). A unit runs in a transaction of its own,
 * or group-committed with others (group-commit.ts); on the SQLite fast path when it can
 * (sqlite-direct.ts). Either way, the promise resolves only after a COMMIT the library itself
 * awaited. Claims and leases are in deliveries.ts, reads in queries.ts.
 */
import type { Database } from './database.js';
import {
  type GroupCommitter,
  NO_TICKET,
  type Ticket,
  type Unit,
  unitOfAll,
} from './group-commit.js';
import { runPostgresUnit } from './postgres-direct.js';
import {
  type DeliveryRecord,
  type SettleContext,
  type Settled,
  settleEvent,
  settleStatements,
} from './settle.js';
import { runDirect } from './sqlite-direct.js';
import {
  type StoreEventContext,
  type StoreInput,
  type StoreResult,
  storeEvent,
  storeEventStatements,
} from './store-event.js';
import type { TableNames } from './table-names.js';

/** Stores events and settles their deliveries, for one database and table prefix. */
export class EventStore {
  readonly #db: Database;
  readonly #committer: GroupCommitter | undefined;
  readonly #storing: StoreEventContext;
  readonly #settling: SettleContext;

  constructor(db: Database, tables: TableNames, committer?: GroupCommitter) {
    this.#db = db;
    this.#committer = committer;
    // The SQL is built once: it runs for every webhook.
    this.#storing = { tables, dialect: db.dialect, statements: storeEventStatements(tables) };
    this.#settling = { tables, dialect: db.dialect, statements: settleStatements(tables) };
  }

  /**
   * A ticket for a webhook on its way here (group-commit.ts): open it when the request comes in,
   * close it when the event is handed to {@link store} or the request fails.
   */
  ticket(): Ticket {
    return this.#committer?.ticket() ?? NO_TICKET;
  }

  /**
   * One transaction: insert the event (idempotently), run the atomic receivers with the
   * transaction, insert one delivery per receiver (and the request-log row), COMMIT.
   */
  store(input: StoreInput): Promise<StoreResult> {
    return this.#run(storeEvent(this.#storing, input));
  }

  /**
   * Stores the events of one request in one transaction, all or none, each as {@link store}
   * does (a duplicate inserts nothing). The results are in the order of `inputs`.
   */
  storeAll(inputs: readonly StoreInput[]): Promise<StoreResult[]> {
    return this.#run(unitOfAll(inputs.map((input) => storeEvent(this.#storing, input))));
  }

  /**
   * Records the outcomes of a run and the event's new status in one transaction, each outcome
   * only under the lease its runner claimed. Returns the new status and the outcomes left out.
   */
  settle(eventId: number, outcomes: readonly DeliveryRecord[]): Promise<Settled> {
    return this.#run(settleEvent(this.#settling, eventId, outcomes));
  }

  /**
   * Runs one unit of work in a transaction: group-committed, on a fast path, or on Knex. A
   * Postgres fast-path statement that lost a race rolled back whole: the unit runs again on
   * Knex, whose statements read afresh.
   */
  async #run<T>(unit: Unit<T>): Promise<T> {
    if (this.#committer !== undefined) return this.#committer.submit(unit);
    const direct = this.#db.direct;
    if (direct !== undefined && unit.direct !== undefined) {
      const [result] = await runDirect(direct, [unit.direct]);
      return (result as { value: unknown }).value as T;
    }
    const postgres = this.#db.postgres;
    if (postgres !== undefined && unit.postgres !== undefined) {
      return runPostgresUnit(postgres, this.#db.knex, unit.postgres(), unit.knex);
    }
    return this.#db.knex.transaction(unit.knex);
  }
}
