/**
 * Type-level tests of the hand-written Adyen signal map, checked by `npm run typecheck` (never
 * executed): the official @adyen/api-library's NotificationRequestItem is assignable to
 * AdyenNotificationItem, so the hand-written type cannot drift from the SDK's model unnoticed, and
 * receivers get typed data. Each `@ts-expect-error` line must fail to compile.
 */
import type { NotificationRequestItem } from '@adyen/api-library/lib/src/typings/notification/notificationRequestItem.js';
import { createRegistry } from 'koa-payments';
import type { AdyenNotificationItem, AdyenSignals } from '../../src/providers/adyen/signals.js';

declare const fromSdk: NotificationRequestItem;
export const item: AdyenNotificationItem = fromSdk;

const adyen = createRegistry<AdyenSignals>();

adyen.receiver('AUTHORISATION', async function markPaid({ data, type }) {
  const reference: string = data.merchantReference;
  const value: number | undefined = data.amount.value;
  const success: 'true' | 'false' = data.success;
  const signature: string | undefined = data.additionalData?.hmacSignature;
  const eventType: 'AUTHORISATION' = type;
  // @ts-expect-error success is a string, not a boolean
  const wrong: boolean = data.success;
  return [reference, value, success, signature, eventType, wrong];
});

adyen.receiver('REFUND', async function refund({ data }) {
  const original: string | undefined = data.originalReference;
  return original;
});
