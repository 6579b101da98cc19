/** Reads of the objects mirror and of the payment signals emitted. */
import type { Knex } from 'knex';
import { type Row, toDate } from '../store/rows.js';
import type { TableNames } from '../store/table-names.js';
import { entryState } from './mirror.js';
import type { ObjectFilter, ObjectState } from './types.js';

const DEFAULT_LIMIT = 100;

function toObjectState(row: Row): ObjectState {
  return {
    id: Number(row.id),
    variant: String(row.variant),
    objectType: String(row.object_type),
    objectId: String(row.object_id),
    // Postgres returns a bigint as a string.
    version: row.version === null || row.version === undefined ? null : Number(row.version),
    data: entryState(row.data, row.data_path, row.event_payload),
    event: row.event === null || row.event === undefined ? null : Number(row.event),
    updatedAt: toDate(row.updated_at) as Date,
    refreshRequestedAt: toDate(row.refresh_requested_at),
  };
}

/** Reads the mirror and the emitted payment signals, for one database and table prefix. */
export class ObjectQueries {
  readonly #knex: Knex;
  readonly #t: TableNames;

  constructor(knex: Knex, tables: TableNames) {
    this.#knex = knex;
    this.#t = tables;
  }

  /**
   * The mirror's rows, each with its event's payload when its state points into it: in one
   * statement, so that a prune materialising the entry and deleting the event in one transaction
   * is seen before or after, never half.
   */
  #entries(): Knex.QueryBuilder {
    const { objects, events } = this.#t;
    return this.#knex(objects).select(
      `${objects}.*`,
      this.#knex.raw('(SELECT ?? FROM ?? WHERE ?? = ?? AND ?? IS NULL) AS ??', [
        `${events}.payload`,
        events,
        `${events}.id`,
        `${objects}.event`,
        `${objects}.data`,
        'event_payload',
      ]),
    );
  }

  /** The entry of one object. */
  async get(variant: string, type: string, id: string): Promise<ObjectState | undefined> {
    const row = (await this.#entries()
      .where({ variant, object_type: type, object_id: id })
      .first()) as Row | undefined;
    return row === undefined ? undefined : toObjectState(row);
  }

  /** Entries matching a filter, newest first by row id. */
  async list(filter: ObjectFilter = {}): Promise<ObjectState[]> {
    const limit = filter.limit ?? DEFAULT_LIMIT;
    if (!Number.isInteger(limit) || limit < 1) {
      throw new TypeError('koa-payments: objects.list({ limit }) needs a positive integer');
    }
    const query = this.#entries().orderBy('id', 'desc').limit(limit);
    if (filter.variant !== undefined) query.where({ variant: filter.variant });
    if (filter.type !== undefined) query.where({ object_type: filter.type });
    if (filter.needsRefresh === true) query.whereNotNull('refresh_requested_at');
    if (filter.needsRefresh === false) query.whereNull('refresh_requested_at');
    if (filter.before !== undefined) query.where('id', '<', filter.before);
    return ((await query) as Row[]).map(toObjectState);
  }

  /** The payment signal event `eventId` emitted (it was the first to report its key), if any. */
  async emittedBy(eventId: number): Promise<string | undefined> {
    const row = (await this.#knex(this.#t.paymentSignals)
      .where({ event: eventId })
      .first('signal')) as Row | undefined;
    return row === undefined ? undefined : String(row.signal);
  }
}
