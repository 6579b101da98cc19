/**
 * Debian's chromium, driven by playwright-core (which never downloads a browser), for the
 * browser tests and the screenshots in docs/images/.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

/** Where Debian's `chromium` package installs the browser. */
export const CHROMIUM = '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** A browser with a fresh profile; `close()` ends it and removes the profile. */
export interface Chromium {
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Starts chromium with a fresh `--user-data-dir`. Throws, saying how to install it, when it is
 * missing: the browser tests fail rather than skip.
 */
export async function launchChromium(
  options: Parameters<typeof chromium.launchPersistentContext>[1] = {},
): Promise<Chromium> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `The dashboard's browser tests need Chromium at ${CHROMIUM}, and it is not there. ` +
        "Install Debian's package: `apt-get install -y chromium` (as root; .ci/run does it in CI), " +
        'then run `npm test` again. playwright-core drives that browser and never downloads one.',
    );
  }
  const profile = mkdtempSync(join(tmpdir(), 'koa-payments-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      ...options,
    });
    return {
      context,
      async close() {
        await context.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
}
