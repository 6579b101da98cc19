/** The CLI's two kinds of failure, by exit code. */

/** The command line is wrong (an unknown command or option, a bad value): exit code 2. */
export class UsageError extends Error {
  /** The command the mistake belongs to, for the `--help` hint. */
  readonly command: string | undefined;

  constructor(message: string, command?: string) {
    super(message);
    this.name = 'UsageError';
    this.command = command;
  }
}

/** The command ran and failed (no config, a database error, a failed delivery): exit code 1. */
export class CliFailure extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliFailure';
  }
}

/** Exit codes. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;
