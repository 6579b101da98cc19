/**
 * The dashboard's actions (POST, CSRF-checked by the middleware before they run): replay an
 * event, retry a delivery now, retry a receiver's dead deliveries. Each runs through the
 * instance's operations, then sends the browser back with the result as a notice.
 */
import type { Context } from 'koa';
import { PaymentsError } from '../errors.js';
import { RawBodyUnavailableError, readRawBody } from '../http/raw-body.js';
import type { Delivery } from '../store/types.js';
import type { Notice } from './flash.js';
import { rowId } from './pages.js';
import { DashboardError, type RouteContext } from './types.js';
import { firstLine } from './views/parts.js';

const FORM_LIMIT = 16 * 1024;
/** A form of a few hundred bytes that takes longer than this is not coming. */
const FORM_TIMEOUT_MS = 10_000;

/** The fields of a urlencoded form (read here, or left by a body parser that ran first). */
export async function readForm(ctx: Context): Promise<URLSearchParams> {
  try {
    const body = await readRawBody(ctx, FORM_LIMIT, FORM_TIMEOUT_MS);
    return new URLSearchParams(body.toString('utf8'));
  } catch (error) {
    const parsed = (ctx.request as { body?: unknown }).body;
    if (error instanceof RawBodyUnavailableError && typeof parsed === 'object' && parsed !== null) {
      const form = new URLSearchParams();
      for (const [name, value] of Object.entries(parsed)) {
        if (typeof value === 'string') form.set(name, value);
      }
      return form;
    }
    if (error instanceof PaymentsError && error.expose) {
      // Too large (413), too slow (408), cut short (400).
      throw new DashboardError(error.status, 'The form could not be read.');
    }
    throw error;
  }
}

/**
 * Where to send the browser after an action: the dashboard page the form names (`back`, a path
 * inside the dashboard), else `fallback`. Never outside the dashboard.
 */
function backTo(form: URLSearchParams, fallback: string): string {
  const back = form.get('back');
  return back !== null && /^\/[A-Za-z0-9/_.~%=&?+-]*$/.test(back) && !back.includes('//')
    ? back
    : fallback;
}

/** What an action did: the notice to show and the page to show it on. */
export interface ActionResult {
  notice: Notice;
  back: string;
}

function describe(d: Delivery, now: Date): string {
  if (d.status === 'succeeded') return `${d.receiver} succeeded`;
  if (d.status === 'failed') {
    const next =
      d.nextAttemptAt === null
        ? ''
        : `, next attempt in ${Math.max(0, Math.round((d.nextAttemptAt.getTime() - now.getTime()) / 1000))} s`;
    return `${d.receiver} failed again (attempt ${d.attempts}${next}): ${firstLine(d.lastError)}`;
  }
  if (d.status === 'dead')
    return `${d.receiver} failed its last attempt (${d.attempts}) and is dead: ${firstLine(d.lastError)}`;
  return `${d.receiver} is ${d.status}`;
}

/** Runs `action`; a refusal by the operations (a `PaymentsError`) becomes an error notice. */
async function attempt(back: string, action: () => Promise<Notice>): Promise<ActionResult> {
  try {
    return { notice: await action(), back };
  } catch (error) {
    if (error instanceof PaymentsError && error.expose) {
      return { notice: { kind: 'error', text: error.message }, back };
    }
    throw error;
  }
}

/**
 * `POST /events/:id/replay`: `receivers` is `failed` or `all`; or `receiver` names one receiver,
 * which runs whatever its delivery's status (a skipped one included).
 */
export function replayAction(
  route: RouteContext,
  form: URLSearchParams,
  id: string,
): Promise<ActionResult> {
  const eventId = rowId(id, 'An event id') as number;
  const named = form.get('receiver');
  const which: 'all' | 'failed' | readonly string[] =
    named !== null && named !== '' ? [named] : form.get('receivers') === 'all' ? 'all' : 'failed';
  return attempt(backTo(form, `/events/${eventId}`), async () => {
    const before = await route.deps.operations.details(eventId);
    if (before === undefined)
      throw new PaymentsError('event_not_found', 404, `No stored event ${eventId}.`);
    const after = await route.deps.operations.replay(eventId, { receivers: which });
    // The deliveries that ran: those whose attempts went up.
    const ran = after.deliveries.filter((d) => {
      const earlier = before.deliveries.find((b) => b.id === d.id);
      return earlier === undefined || earlier.attempts !== d.attempts;
    });
    if (ran.length === 0) {
      return {
        kind: 'ok',
        text:
          which === 'failed'
            ? `Nothing to replay for event #${eventId}: it has no failed or dead delivery that is free to run.`
            : `Nothing ran for event #${eventId}: no registered receiver matches it, or they are running now.`,
      };
    }
    const failing = ran.some((d) => d.status !== 'succeeded');
    return {
      kind: failing ? 'error' : 'ok',
      text: `Replayed event #${eventId} (${after.eventId}), now ${after.status}: ${ran.map((d) => describe(d, route.view.now)).join('; ')}.`,
    };
  });
}

/** `POST /deliveries/:id/retry`. */
export function retryAction(
  route: RouteContext,
  form: URLSearchParams,
  id: string,
): Promise<ActionResult> {
  const deliveryId = rowId(id, 'A delivery id') as number;
  return attempt(backTo(form, '/deliveries'), async () => {
    const result = await route.deps.operations.retryDelivery(deliveryId);
    const d = result.delivery;
    if (!result.ran) {
      return {
        kind: 'error',
        text: `Delivery #${deliveryId} (${d.receiver}) did not run: it is ${d.status}${
          d.status === 'running' ? ' (a runner holds it)' : ''
        }, and only a failed or dead delivery is retried.`,
      };
    }
    return {
      kind: d.status === 'succeeded' ? 'ok' : 'error',
      text: `Retried delivery #${deliveryId} of event #${d.event}: ${describe(d, route.view.now)}.`,
    };
  });
}

/** `POST /deliveries/retry-dead` (`receiver`). */
export function retryDeadAction(route: RouteContext, form: URLSearchParams): Promise<ActionResult> {
  const receiver = form.get('receiver') ?? '';
  return attempt(backTo(form, '/deliveries'), async () => {
    if (receiver === '')
      throw new DashboardError(400, 'Say which receiver: the form has no receiver.');
    const r = await route.deps.operations.retryDead(receiver, { limit: route.options.retryBatch });
    if (r.ran === 0) {
      return { kind: 'ok', text: `${receiver} has no dead delivery free to run.` };
    }
    const parts = [`${r.succeeded} succeeded`];
    if (r.failed > 0) parts.push(`${r.failed} failed again and will be retried`);
    if (r.dead > 0) parts.push(`${r.dead} died again`);
    const left =
      r.remaining === 0
        ? 'No dead delivery of it is left.'
        : `${r.remaining} of its deliveries are dead.`;
    return {
      kind: r.succeeded === r.ran ? 'ok' : 'error',
      text: `Retried ${r.ran} dead deliver${r.ran === 1 ? 'y' : 'ies'} of ${receiver}: ${parts.join(', ')}. ${left}`,
    };
  });
}

/** `POST /receivers/pause` (`receiver`, `reason`): holds its deliveries on every instance. */
export function pauseAction(route: RouteContext, form: URLSearchParams): Promise<ActionResult> {
  const receiver = form.get('receiver') ?? '';
  const reason = (form.get('reason') ?? '').trim();
  return attempt(backTo(form, '/'), async () => {
    if (receiver === '')
      throw new DashboardError(400, 'Say which receiver: the form has no receiver.');
    const state = await route.deps.operations.pause(receiver, reason === '' ? {} : { reason });
    return {
      kind: 'ok',
      text: `${state.changed ? 'Paused' : 'Already paused:'} ${receiver}. Its deliveries stay pending on every instance until it is resumed (${state.waiting} waiting now).`,
    };
  });
}

/** `POST /receivers/resume` (`receiver`): the worker runs what waited at its next poll. */
export function resumeAction(route: RouteContext, form: URLSearchParams): Promise<ActionResult> {
  const receiver = form.get('receiver') ?? '';
  return attempt(backTo(form, '/'), async () => {
    if (receiver === '')
      throw new DashboardError(400, 'Say which receiver: the form has no receiver.');
    const state = await route.deps.operations.resume(receiver);
    return {
      kind: 'ok',
      text: `${state.changed ? 'Resumed' : 'Not paused:'} ${receiver}. ${state.waiting} of its deliveries ${state.waiting === 1 ? 'waits' : 'wait'}; the retry worker runs them at its next poll.`,
    };
  });
}
