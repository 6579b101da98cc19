/** What the dashboard's routes share: their dependencies, what they answer, their errors. */
import type { SilentVariant } from '../alerts/silence.js';
import type { Operations } from '../operations.js';
import type { Html } from './html.js';
import type { ResolvedDashboardOptions } from './options.js';
import type { DashboardQueries } from './queries.js';
import type { Section } from './views/layout.js';
import type { ViewContext } from './views/parts.js';

/** What a dashboard reads and acts through: parts of its `payments()` instance. */
export interface DashboardDependencies {
  queries: DashboardQueries;
  operations: Operations;
  /** The configured variants. */
  variants: readonly string[];
  /** Whether requests are logged. */
  requestLog: boolean;
  /** The variants with `expectEvery` that are silent now. */
  silent: () => Promise<SilentVariant[]>;
}

/** Everything a route handler gets. */
export interface RouteContext {
  deps: DashboardDependencies;
  options: ResolvedDashboardOptions;
  view: ViewContext;
  /** The query string's parameters. */
  query: URLSearchParams;
}

/** What a page handler answers: the page's heading, section and body. */
export interface PageResult {
  heading: string;
  section: Section;
  body: Html;
}

/** A request the dashboard refuses with a page: a bad parameter (400), nothing there (404). */
export class DashboardError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = 'DashboardError';
    this.status = status;
  }
}
