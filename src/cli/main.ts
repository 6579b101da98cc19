/**
 * The `koa-payments` command line: finds the command, parses its options with `node:util`
 * parseArgs, prints help, runs it, and turns what went wrong into a message and an exit code
 * (0 ok, 1 failure, 2 usage error).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigurationError, PaymentsError } from '../errors.js';
import {
  type Command,
  type CommandContext,
  type OptionSpec,
  type OptionValues,
  paymentsRunner,
} from './command.js';
import { endpointsCreate, endpointsList } from './commands/endpoints.js';
import { eventsList, eventsShow } from './commands/events.js';
import { migrate } from './commands/migrate.js';
import { pause, resume } from './commands/pause.js';
import { prune } from './commands/prune.js';
import { reconcile } from './commands/reconcile.js';
import { replay } from './commands/replay.js';
import { requestsList, requestsShow } from './commands/requests.js';
import { retry } from './commands/retry.js';
import { send } from './commands/send.js';
import { sync } from './commands/sync.js';
import { worker } from './commands/worker.js';
import { type LoadedConfig, loadConfig } from './config.js';
import { CliFailure, EXIT, UsageError } from './errors.js';
import { Output, type OutputStream } from './output.js';

/** Every command, by the words that name it. */
export const COMMANDS: readonly Command[] = [
  migrate,
  send,
  eventsList,
  eventsShow,
  requestsList,
  requestsShow,
  replay,
  retry,
  pause,
  resume,
  worker,
  prune,
  sync,
  reconcile,
  endpointsCreate,
  endpointsList,
];

/** Options every command accepts. */
const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  config: {
    type: 'string',
    short: 'c',
    value: '<file>',
    description:
      'the config module (default: $KOA_PAYMENTS_CONFIG, else ./payments.config.{mjs,js,ts})',
  },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

/** Where the CLI runs: its streams, environment and working directory. */
export interface CliEnvironment {
  stdout: OutputStream;
  stderr: OutputStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

function version(): string {
  const file = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

function optionLines(options: Record<string, OptionSpec>): string[] {
  const rows = Object.entries(options).map(([name, spec]) => {
    const flag = `${spec.short === undefined ? '    ' : `-${spec.short}, `}--${name}${spec.value === undefined ? '' : ` ${spec.value}`}`;
    return [flag, spec.description] as const;
  });
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return rows.map(([flag, description]) => `  ${flag.padEnd(width)}  ${description}`);
}

function wrap(text: string, width = 96): string {
  return text
    .split('\n')
    .map((paragraph) => {
      const lines: string[] = [];
      let line = '';
      for (const word of paragraph.split(' ')) {
        if (line !== '' && line.length + word.length + 1 > width) {
          lines.push(line);
          line = word;
        } else line = line === '' ? word : `${line} ${word}`;
      }
      lines.push(line);
      return lines.join('\n');
    })
    .join('\n');
}

/** The help of one command. */
export function commandHelp(command: Command): string {
  const hasOptions = Object.keys(command.options).length > 0;
  const usage = `koa-payments ${command.name}${command.args === '' ? '' : ` ${command.args}`}${hasOptions ? ' [options]' : ''}`;
  return [
    `Usage: ${usage}`,
    '',
    wrap(command.description),
    '',
    'Options:',
    ...optionLines({ ...command.options, ...GLOBAL_OPTIONS }),
    '',
  ].join('\n');
}

/** The words that name a group of commands (`events`, `requests`). */
const GROUPS: ReadonlySet<string> = new Set(
  COMMANDS.filter((c) => c.name.includes(' ')).map((c) => c.name.split(' ')[0] as string),
);

/** The help of a group of commands (`events`, `requests`). */
function groupHelp(group: string): string {
  const members = COMMANDS.filter((c) => c.name.startsWith(`${group} `));
  return [
    `Usage: koa-payments ${group} <${members.map((c) => c.name.slice(group.length + 1)).join('|')}> [options]`,
    '',
    ...members.map((c) => `  ${c.name.padEnd(18)}${c.summary}`),
    '',
    `Run 'koa-payments ${group} <command> --help' for its options.`,
    '',
  ].join('\n');
}

/** The top-level help. */
export function mainHelp(): string {
  const usages = COMMANDS.map((c) => `${c.name}${c.args === '' ? '' : ` ${c.args}`}`);
  const width = Math.max(...usages.map((usage) => usage.length)) + 2;
  return [
    'Usage: koa-payments <command> [options]',
    '',
    'Receive, inspect, replay and recover payment webhooks of a koa-payments app from the command line.',
    '',
    'Commands:',
    ...COMMANDS.map((c, i) => `  ${(usages[i] as string).padEnd(width)}${c.summary}`),
    '',
    'Global options:',
    ...optionLines({
      ...GLOBAL_OPTIONS,
      version: { type: 'boolean', description: 'print the version' },
    }),
    '',
    'Configuration: a module whose default export is the payments() settings (or a function',
    'returning them); it reads its secrets from process.env itself.',
    '',
    'Environment:',
    '  KOA_PAYMENTS_CONFIG    the config module, when --config is not given',
    '  KOA_PAYMENTS_DATABASE  overrides the database: a SQLite file, or a postgres:// URL',
    '  KOA_PAYMENTS_URL       where `send` posts, when --url is not given',
    '',
    'Exit codes: 0 ok, 1 failure, 2 usage error.',
    "Run 'koa-payments <command> --help' for a command's options.",
    '',
  ].join('\n');
}

/** Edit distance, for "did you mean" on a mistyped command. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] as number;
      row[j] = Math.min(
        (row[j] as number) + 1,
        (row[j - 1] as number) + 1,
        previous + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      previous = current;
    }
  }
  return row[b.length] as number;
}

function unknownCommand(words: string): UsageError {
  const names = new Set(COMMANDS.flatMap((c) => [c.name, c.name.split(' ')[0] as string]));
  const close = [...names].filter((name) => distance(words, name) <= 2);
  const hint = close.length > 0 ? `; did you mean '${close[0]}'?` : '';
  return new UsageError(`unknown command '${words}'${hint}`);
}

/** What the command line asks for. */
type Request =
  | { kind: 'help'; text: string }
  | { kind: 'version' }
  | { kind: 'run'; command: Command; args: string[] };

const GLOBAL_WITH_VALUE = new Set(['--config', '-c']);
const GLOBAL_FLAGS = new Set(['--help', '-h', '--version']);

/** Finds the command: global options may come first, the command's own go after it. */
function resolve(argv: readonly string[]): Request {
  const leading: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const token = argv[i] as string;
    if (!token.startsWith('-') || token === '-') break;
    if (GLOBAL_WITH_VALUE.has(token)) {
      leading.push(token, ...(argv[i + 1] === undefined ? [] : [argv[i + 1] as string]));
      i++;
    } else if (token.startsWith('--config=') || GLOBAL_FLAGS.has(token)) {
      leading.push(token);
    } else {
      throw new UsageError(`unknown option '${token}' (a command's options go after the command)`);
    }
  }
  const word = argv[i];
  if (word === undefined) {
    if (leading.includes('--version')) return { kind: 'version' };
    if (leading.includes('--help') || leading.includes('-h'))
      return { kind: 'help', text: mainHelp() };
    throw new UsageError('no command given');
  }
  if (word === 'help') {
    const topic = argv.slice(i + 1).join(' ');
    if (topic === '') return { kind: 'help', text: mainHelp() };
    if (GROUPS.has(topic)) return { kind: 'help', text: groupHelp(topic) };
    const command = COMMANDS.find((c) => c.name === topic);
    if (command === undefined) throw unknownCommand(topic);
    return { kind: 'help', text: commandHelp(command) };
  }
  if (GROUPS.has(word)) {
    const sub = argv[i + 1];
    if (sub === undefined || sub.startsWith('-')) {
      if (sub === '--help' || sub === '-h') return { kind: 'help', text: groupHelp(word) };
      const subs = COMMANDS.filter((c) => c.name.startsWith(`${word} `)).map((c) =>
        c.name.slice(word.length + 1),
      );
      throw new UsageError(`'${word}' needs a subcommand: ${subs.join(' or ')}`, word);
    }
    const command = COMMANDS.find((c) => c.name === `${word} ${sub}`);
    if (command === undefined) throw unknownCommand(`${word} ${sub}`);
    return { kind: 'run', command, args: [...leading, ...argv.slice(i + 2)] };
  }
  const command = COMMANDS.find((c) => c.name === word);
  if (command === undefined) throw unknownCommand(word);
  return { kind: 'run', command, args: [...leading, ...argv.slice(i + 1)] };
}

/** Parses a command's arguments; a mistake becomes a {@link UsageError} naming the command. */
function parse(command: Command, args: string[]): { values: OptionValues; positionals: string[] } {
  const specs = { ...command.options, ...GLOBAL_OPTIONS };
  const options: Record<
    string,
    { type: 'string' | 'boolean'; short?: string; multiple?: boolean }
  > = {};
  for (const [name, spec] of Object.entries(specs)) {
    options[name] = { type: spec.type };
    if (spec.short !== undefined) options[name].short = spec.short;
    if (spec.multiple === true) options[name].multiple = true;
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    const message = (error as Error).message;
    const unknown = /^Unknown option '([^']+)'/.exec(message);
    if (unknown !== null) {
      throw new UsageError(`unknown option '${unknown[1]}' for '${command.name}'`, command.name);
    }
    const missing = /^Option '(-\w, )?(--[\w-]+)[^']*' argument missing/.exec(message);
    if (missing !== null) {
      throw new UsageError(`${missing[2]} needs a value`, command.name);
    }
    throw new UsageError(message.split('. ')[0] ?? message, command.name);
  }
  return { values: parsed.values as OptionValues, positionals: parsed.positionals };
}

function checkPositionals(command: Command, positionals: readonly string[]): void {
  const { min, max } = command.positionals;
  if (positionals.length < min) {
    const names = command.args.split(' ').slice(positionals.length).join(' ');
    throw new UsageError(`'${command.name}' needs ${names}`, command.name);
  }
  if (positionals.length > max) {
    throw new UsageError(
      `unexpected argument '${positionals[max]}' for '${command.name}'`,
      command.name,
    );
  }
}

/** Prints what went wrong; returns the exit code. */
function report(out: Output, error: unknown): number {
  if (error instanceof UsageError) {
    out.info(`koa-payments: ${error.message}`);
    out.info(
      `Run 'koa-payments ${error.command === undefined ? '' : `${error.command} `}--help' for usage.`,
    );
    return EXIT.usage;
  }
  if (error instanceof CliFailure || error instanceof PaymentsError) {
    out.info(`koa-payments: ${error.message}`);
    return EXIT.failure;
  }
  if (error instanceof ConfigurationError) {
    out.info(`${error.message} (in the config)`);
    return EXIT.failure;
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  out.info(`koa-payments: unexpected error: ${detail}`);
  return EXIT.failure;
}

/**
 * Runs the command line `argv` (without `node` and the script); resolves with the exit code.
 *
 * @example
 * process.exitCode = await main(process.argv.slice(2), {
 *   stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(),
 * });
 */
export async function main(argv: readonly string[], environment: CliEnvironment): Promise<number> {
  const out = new Output(environment.stdout, environment.stderr);
  try {
    const request = resolve(argv);
    if (request.kind === 'version') {
      out.line(version());
      return EXIT.ok;
    }
    if (request.kind === 'help') {
      out.stdout.write(request.text);
      return EXIT.ok;
    }
    const { command } = request;
    const { values, positionals } = parse(command, request.args);
    if (values.help === true) {
      out.stdout.write(commandHelp(command));
      return EXIT.ok;
    }
    checkPositionals(command, positionals);
    let loaded: Promise<LoadedConfig> | undefined;
    const config = () => {
      loaded ??= loadConfig({
        flag: typeof values.config === 'string' ? values.config : undefined,
        env: environment.env,
        cwd: environment.cwd,
      });
      return loaded;
    };
    const context: CommandContext = {
      command,
      values,
      positionals,
      out,
      env: environment.env,
      cwd: environment.cwd,
      config,
      withPayments: paymentsRunner(config),
    };
    return await command.run(context);
  } catch (error) {
    return report(out, error);
  }
}
