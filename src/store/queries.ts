/** Reads of the `events` and `deliveries` tables. */
import type { Knex } from 'knex';
import type { EventFilter } from '../types.js';
import type { TableNames } from './migrations.js';
import { type Row, toDelivery, toEvent } from './rows.js';
import type { Delivery, StoredEvent } from './types.js';

/** Reads events and their deliveries, for one database and table prefix. */
export class EventQueries {
  readonly #knex: Knex;
  readonly #t: TableNames;

  constructor(knex: Knex, tables: TableNames) {
    this.#knex = knex;
    this.#t = tables;
  }

  /** The event with row id `id`. */
  async getEvent(id: number): Promise<StoredEvent | undefined> {
    const row = (await this.#knex(this.#t.events).where({ id }).first()) as Row | undefined;
    return row === undefined ? undefined : toEvent(row);
  }

  /** The events with these row ids, by id (those that exist). */
  async getEvents(ids: readonly number[]): Promise<Map<number, StoredEvent>> {
    const rows = (await this.#knex(this.#t.events).whereIn('id', [...ids])) as Row[];
    return new Map(rows.map((row) => [Number(row.id), toEvent(row)]));
  }

  /** The events with a provider event id (in one variant, or in every variant). */
  async findEvent(eventId: string, variant?: string): Promise<StoredEvent[]> {
    const query = this.#knex(this.#t.events).where({ event_id: eventId });
    if (variant !== undefined) query.where({ variant });
    return ((await query) as Row[]).map((row) => toEvent(row));
  }

  /** Events matching a filter, newest first. */
  async list(filter: EventFilter = {}): Promise<StoredEvent[]> {
    const query = this.#knex(this.#t.events)
      .orderBy('id', 'desc')
      .limit(filter.limit ?? 100);
    if (filter.status !== undefined) {
      query.whereIn(
        'status',
        typeof filter.status === 'string' ? [filter.status] : [...filter.status],
      );
    }
    if (filter.type !== undefined) query.where({ type: filter.type });
    if (filter.variant !== undefined) query.where({ variant: filter.variant });
    if (filter.since !== undefined) query.where('received_at', '>=', filter.since);
    return ((await query) as Row[]).map((row) => toEvent(row));
  }

  /** The deliveries of an event, oldest first. */
  async deliveriesOf(eventId: number): Promise<Delivery[]> {
    const rows = (await this.#knex(this.#t.deliveries)
      .where({ event: eventId })
      .orderBy('id')) as Row[];
    return rows.map(toDelivery);
  }
}
