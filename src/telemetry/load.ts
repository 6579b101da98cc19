/**
 * `@opentelemetry/api`, loaded when it is installed (an optional peer dependency) and not
 * otherwise: the library never fails for its absence. Loaded synchronously through `require`,
 * once: the API keeps its state (the registered SDK) on a global, so this copy sees the SDK the
 * app registered through its own import of the API.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** The API module's type, without making it a dependency of the library's public types. */
export type OtelApi = typeof import('@opentelemetry/api');

let loaded: OtelApi | null | undefined;

/** The OpenTelemetry API, or null when it is not installed. */
export function loadOtelApi(): OtelApi | null {
  if (loaded !== undefined) return loaded;
  try {
    loaded = createRequire(import.meta.url)('@opentelemetry/api') as OtelApi;
  } catch {
    loaded = null;
  }
  return loaded;
}

/** The library's version, the instrumentation scope's version. */
export function libraryVersion(): string {
  try {
    const file = new URL('../../package.json', import.meta.url);
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
