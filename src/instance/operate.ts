/**
 * What an instance hands its operator beside receiving webhooks: the stored events, the request
 * log and the objects mirror, replay and prune, pausing receivers, and the dashboard. Each method
 * delegates to the part payments.ts wired for it.
 */
import { createDashboard } from '../dashboard/index.js';
import type { DashboardDependencies } from '../dashboard/types.js';
import type { ObjectQueries } from '../objects/queries.js';
import type { Operations } from '../operations.js';
import type { Payments } from '../payments-types.js';
import type { RequestQueries } from '../store/queries.js';
import type { Operate } from './shutdown.js';

/** What {@link operatorMethods} delegate to. */
export interface OperatorDependencies {
  operations: Operations;
  requests: RequestQueries;
  objects: ObjectQueries;
  /** Counts a call in for `close()`, and refuses it once `close()` has been called. */
  operate: Operate;
  /** What the dashboard reads beside the operations, built for each `dashboard()` call. */
  dashboard(): Omit<DashboardDependencies, 'operations'>;
}

/** The operator's members of an instance. */
export type OperatorMethods = Pick<
  Payments,
  | 'events'
  | 'requests'
  | 'objects'
  | 'replay'
  | 'prune'
  | 'pause'
  | 'resume'
  | 'paused'
  | 'dashboard'
>;

export function operatorMethods(dependencies: OperatorDependencies): OperatorMethods {
  const { operations, requests, objects } = dependencies;
  return {
    events: {
      list: (filter) => operations.list(filter),
      get: (id, variant) => operations.details(id, variant),
    },
    requests: {
      list: (filter) => requests.list(filter),
      get: (id) => requests.get(id),
    },
    objects: {
      get: (variant, type, id) => objects.get(variant, type, id),
      list: (filter) => objects.list(filter),
    },
    replay: (id, options) => operations.replay(id, options),
    // Counted in here, not in Operations: the worker prunes too, and close() stops it.
    prune: (options) => dependencies.operate(() => operations.prune(options)),
    pause: (receiver, options) => operations.pause(receiver, options),
    resume: (receiver) => operations.resume(receiver),
    paused: () => operations.pausedReceivers(),
    dashboard: (options) => createDashboard(options, { ...dependencies.dashboard(), operations }),
  };
}
