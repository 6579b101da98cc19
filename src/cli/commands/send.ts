/**
 * `koa-payments send <variant> <type> [--data <json>] [--url <base>] [--count N]`: signs a sample
 * event with the variant's secret, POSTs it to a running app, prints each status and body.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Payments } from '../../payments.js';
import type { VariantSettings } from '../../settings.js';
import { UnknownSampleTypeError } from '../../testing/samples.js';
import { type SentWebhook, sendWebhook } from '../../testing/send.js';
import { parseCount, parseJsonObject } from '../args.js';
import { type Command, requireVariant, stringValue } from '../command.js';
import { CliFailure, UsageError } from '../errors.js';

const LOOPBACK = /^(localhost|.+\.localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

function webhookUrl(pay: Payments, variant: string): string | undefined {
  try {
    return pay.webhookUrl(variant);
  } catch {
    return undefined; // no host configured
  }
}

/** `connect ECONNREFUSED 127.0.0.1:3000`, from fetch's nested causes. */
function networkReason(error: unknown): string {
  let current: unknown = error;
  let message = (error as Error).message;
  while (current instanceof Error && current.cause !== undefined) {
    current = current.cause;
    if (current instanceof Error) message = current.message;
  }
  return message;
}

/** `--private-key` (read from its file) and `--cert-url`, as signer options. */
function certificateSigning(
  keyFile: string | undefined,
  certUrl: string | undefined,
  cwd: string,
): Record<string, string> | undefined {
  if (keyFile === undefined && certUrl === undefined) return undefined;
  const options: Record<string, string> = {};
  if (keyFile !== undefined) {
    try {
      options.privateKey = readFileSync(resolve(cwd, keyFile), 'utf8');
    } catch (error) {
      throw new UsageError(
        `--private-key: cannot read ${keyFile} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
        'send',
      );
    }
  }
  if (certUrl !== undefined) options.certUrl = certUrl;
  return options;
}

export const send: Command = {
  name: 'send',
  summary: "sign a sample event with a variant's secret and POST it to your app",
  args: '<variant> <type>',
  description:
    "Builds a realistic sample of <type> for the variant's provider (fresh ids each time), signs " +
    "it with the variant's secret exactly as the provider would, POSTs it to the app and prints " +
    'the status and the body of each answer. The app must be running.\n\n' +
    'Where to: --url, else KOA_PAYMENTS_URL, else the configured webhookUrl(variant) when the ' +
    'config sets host and it is a local address, else http://localhost:$PORT (3000). A configured ' +
    'host that is not local is refused unless --url names it: a test event is never sent to ' +
    'production by accident.\n\n' +
    'PayPal signs with a certificate, not a shared secret: pass --private-key, a PEM key whose ' +
    "certificate the app downloads from the variant's apiBase (<apiBase>/v1/notifications/certs/" +
    'CERT-koa-payments-test, or --cert-url). See docs/providers/paypal.md.',
  options: {
    data: {
      type: 'string',
      value: '<json>',
      description:
        'merged into the event\'s data object (what receivers get as signal.data), e.g. \'{"client_reference_id":"42"}\'',
    },
    url: {
      type: 'string',
      value: '<base>',
      description: "the app's origin (http://localhost:3000) or the full webhook URL",
    },
    count: {
      type: 'string',
      value: '<n>',
      description: 'send n events, each with fresh ids (default 1)',
    },
    json: { type: 'boolean', description: 'print the answers as JSON' },
    'private-key': {
      type: 'string',
      value: '<file>',
      description:
        'PEM private key to sign with, for providers that sign with a certificate (paypal)',
    },
    'cert-url': {
      type: 'string',
      value: '<url>',
      description:
        "the URL of that key's certificate (paypal; default: under the variant's apiBase)",
    },
  },
  positionals: { min: 2, max: 2 },
  async run({ positionals, values, out, env, cwd, withPayments }) {
    const [variant, type] = positionals as [string, string];
    const dataText = stringValue(values, 'data');
    const data = dataText === undefined ? undefined : parseJsonObject(dataText, '--data', 'send');
    const countText = stringValue(values, 'count');
    const count = countText === undefined ? 1 : parseCount(countText, '--count', 'send', 10_000);
    const signOptions = certificateSigning(
      stringValue(values, 'private-key'),
      stringValue(values, 'cert-url'),
      cwd,
    );

    return withPayments(
      async (pay, { settings }) => {
        requireVariant(pay, variant, 'send');
        const variantSettings = settings.variants[variant] as VariantSettings;
        const configured = webhookUrl(pay, variant);
        const given = stringValue(values, 'url') ?? (env.KOA_PAYMENTS_URL || undefined);
        const target = given ?? configured ?? `http://localhost:${env.PORT || 3000}`;
        let parsed: URL;
        try {
          parsed = new URL(target);
          if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new TypeError();
        } catch {
          throw new UsageError(`--url expects an http(s) URL, got '${target}'`, 'send');
        }
        if (given === undefined && !LOOPBACK.test(parsed.hostname)) {
          throw new UsageError(
            `refusing to send a test event to ${target}, the configured host, which is not a local ` +
              `address: pass --url ${parsed.origin} if you mean it`,
            'send',
          );
        }
        const prefix = (settings.prefix ?? '/payments/process').replace(/\/+$/, '');
        if (parsed.pathname === '/' || parsed.pathname === '')
          parsed.pathname = `${prefix}/${variant}/`;
        const postTo = parsed.toString();
        // The URL the provider signs (Square, an hmac {url}): the variant's own, else the app's
        // webhookUrl(variant), as the provider defaults it, never the URL posted to.
        const own = variantSettings as { notificationUrl?: unknown; url?: unknown };
        const signedUrl =
          own.notificationUrl !== undefined || own.url !== undefined || configured === undefined
            ? {}
            : { url: configured };

        const answers: SentWebhook[] = [];
        out.info(`POST ${postTo}${count > 1 ? ` (${count} events)` : ''}`);
        for (let i = 0; i < count; i++) {
          let sent: SentWebhook;
          try {
            sent = await sendWebhook(postTo, variant, type, {
              settings: variantSettings,
              ...signedUrl,
              ...(data === undefined ? {} : { data }),
              ...(signOptions === undefined ? {} : { signOptions }),
            });
          } catch (error) {
            if (error instanceof UnknownSampleTypeError) {
              throw new UsageError(
                `no ${error.provider} sample of '${type}'; samples exist for ${error.known.join(', ')}`,
                'send',
              );
            }
            if (error instanceof TypeError && /koa-payments\/testing/.test(error.message)) {
              throw new CliFailure(error.message.replace('koa-payments/testing: ', ''));
            }
            throw new CliFailure(
              `could not reach ${postTo}: ${networkReason(error)}. Is the app running?`,
              { cause: error },
            );
          }
          answers.push(sent);
          // A provider's own text answer (Adyen's [accepted]) is printed as it came.
          const shown = typeof sent.body === 'string' ? sent.body : JSON.stringify(sent.body);
          if (values.json !== true) out.line(`${sent.status} ${shown}`);
        }
        if (values.json === true) {
          out.json(
            answers.map((a) => ({
              status: a.status,
              body: a.body,
              url: a.request.url,
              payload: a.payload,
            })),
          );
        }
        const failed = answers.filter((a) => !a.ok).length;
        if (count > 1) out.info(`${count - failed} of ${count} accepted.`);
        return failed === 0 ? 0 : 1;
      },
      { store: 'none' },
    );
  },
};
