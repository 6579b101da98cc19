/**
 * HTML that is escaped unless said otherwise: the `html` tag escapes every value it interpolates
 * (payloads, headers and error texts are attacker-controlled), except values that are already
 * {@link Html}, the output of another `html` template. Nothing else makes markup from a string.
 */

/** Markup built by {@link html}: safe to insert as is. */
export class Html {
  readonly #text: string;

  constructor(text: string) {
    this.#text = text;
  }

  toString(): string {
    return this.#text;
  }
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for an element's content or a double-quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] as string);
}

/** What a template may interpolate. `null`, `undefined` and `false` render nothing. */
export type Interpolation =
  | Html
  | string
  | number
  | boolean
  | null
  | undefined
  | readonly Interpolation[];

function render(value: Interpolation): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Html) return value.toString();
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/**
 * A template of markup whose interpolations are escaped.
 *
 * @example
 * html`<td>${event.type}</td>`; // a type of `<script>` renders as text
 */
export function html(strings: TemplateStringsArray, ...values: Interpolation[]): Html {
  let out = strings[0] as string;
  for (let i = 0; i < values.length; i++) {
    out += render(values[i] as Interpolation) + (strings[i + 1] as string);
  }
  return new Html(out);
}

/** A dashboard URL: `path` with the query parameters that are set (empty ones are left out). */
export function href(
  path: string,
  query: Readonly<Record<string, string | number | undefined>> = {},
): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') params.set(name, String(value));
  }
  const search = params.toString();
  return search === '' ? path : `${path}?${search}`;
}
