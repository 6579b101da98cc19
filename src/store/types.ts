/**
 * Row shapes of the tables the library owns, as the public API returns them, and what a run
 * records on a delivery row.
 */

/** Event status: `pending` until every delivery settled. */
export type EventStatus = 'pending' | 'processed' | 'failed' | 'ignored';

/** Delivery status: one receiver's progress on one event. */
export type DeliveryStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'dead';

/** A stored event (the `events` table). */
export interface StoredEvent {
  /** Row id. */
  id: number;
  variant: string;
  provider: string;
  /** The provider's event id, or the id derived from the payload. */
  eventId: string;
  type: string;
  livemode: boolean | null;
  /** The parsed payload (stored as the JSON text received). */
  payload: unknown;
  status: EventStatus;
  receivedAt: Date;
  /** When the provider created the event, when it says (use it to order events). */
  createdAt: Date | null;
  processedAt: Date | null;
}

/** A delivery (the `deliveries` table): one receiver on one event. */
export interface Delivery {
  id: number;
  /** Row id of the event. */
  event: number;
  receiver: string;
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: Date | null;
  lockedUntil: Date | null;
  completedAt: Date | null;
}

/** What a run records for one delivery (the store writes it; the dispatcher decides it). */
export interface OutcomeRecord {
  status: 'succeeded' | 'failed' | 'dead';
  error?: string;
  nextAttemptAt?: Date | null;
  /** The last attempt never finished: its attempt was already counted. */
  abandoned?: boolean;
}
