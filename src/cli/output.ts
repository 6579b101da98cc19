/**
 * What the CLI prints: lines, JSON, tables and a progress bar. Results go to stdout, diagnostics
 * and the progress bar to stderr, so that `--json` output can be piped.
 */

/** A stream the CLI writes to (process.stdout in the bin). */
export interface OutputStream {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** A table column. */
export interface Column<R> {
  header: string;
  value(row: R): string;
  /** Widest the column gets; longer cells end with `…`. Default 60. */
  max?: number;
}

/** A progress reporter over `total` items. */
export interface Progress {
  /** One item done; `line` says how it went. */
  tick(line: string): void;
  /** Prints a line without breaking the bar (a failure, say). */
  note(line: string): void;
  /** Removes the bar. */
  done(): void;
}

/** A progress line over work of unknown size (a listing whose length the API does not say). */
export interface Activity {
  /** Redraws the line with `text`. */
  update(text: string): void;
  /** Removes it. */
  done(): void;
}

/** `2024-05-01 10:00:00Z`, or `-`. */
export function formatDate(date: Date | null | undefined): string {
  if (date === null || date === undefined) return '-';
  return date
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}

function truncate(text: string, max: number): string {
  const oneLine = text.replace(/\s*\n\s*/g, ' ');
  return oneLine.length > max ? `${oneLine.slice(0, Math.max(0, max - 1))}…` : oneLine;
}

/** Writes the CLI's output. */
export class Output {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;

  constructor(stdout: OutputStream, stderr: OutputStream) {
    this.stdout = stdout;
    this.stderr = stderr;
  }

  /** A line of results. */
  line(text = ''): void {
    this.stdout.write(`${text}\n`);
  }

  /** A diagnostic line (to stderr). */
  info(text: string): void {
    this.stderr.write(`${text}\n`);
  }

  /** A value as indented JSON. */
  json(value: unknown): void {
    this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** Rows as an aligned table with a header line. */
  table<R>(columns: readonly Column<R>[], rows: readonly R[], indent = ''): void {
    const cells = rows.map((row) => columns.map((c) => truncate(c.value(row), c.max ?? 60)));
    const widths = columns.map((column, i) =>
      Math.max(column.header.length, ...cells.map((row) => (row[i] ?? '').length)),
    );
    const render = (values: readonly string[]) =>
      `${indent}${values
        .map((value, i) => (i === values.length - 1 ? value : value.padEnd(widths[i] ?? 0)))
        .join('  ')}`.trimEnd();
    this.line(render(columns.map((c) => c.header)));
    for (const row of cells) this.line(render(row));
  }

  /**
   * A progress line for work of unknown size: on a terminal, a bar that sweeps back and forth
   * on stderr, redrawn in place with `text` beside it (at most every 50 ms); elsewhere (a pipe, a
   * CI log) nothing, so that only the result is printed.
   */
  activity(): Activity {
    if (this.stderr.isTTY !== true) return { update() {}, done() {} };
    const columns = this.stderr.columns || 80;
    const width = 20;
    let frame = 0;
    let drawn = 0;
    return {
      update: (text) => {
        const now = Date.now();
        if (now - drawn < 50) return;
        drawn = now;
        const position = frame++ % (2 * (width - 4));
        const at = position < width - 4 ? position : 2 * (width - 4) - position;
        const bar = `${'░'.repeat(at)}████${'░'.repeat(width - 4 - at)}`;
        this.stderr.write(`\r\x1b[2K${bar} ${truncate(text, Math.max(0, columns - width - 2))}`);
      },
      done: () => {
        if (drawn > 0) this.stderr.write('\r\x1b[2K');
      },
    };
  }

  /**
   * A progress reporter. On a terminal: a bar on stderr, redrawn in place, with notes printed
   * above it. Elsewhere (a pipe, a CI log): one plain `[i/total] line` per item on stdout.
   */
  progress(total: number): Progress {
    let count = 0;
    const terminal = this.stderr.isTTY === true;
    if (!terminal) {
      return {
        tick: (line) => {
          count += 1;
          this.line(`[${count}/${total}] ${line}`);
        },
        note: (line) => this.line(line),
        done: () => {},
      };
    }
    const columns = this.stderr.columns || 80;
    const width = Math.max(10, Math.min(40, columns - 40));
    let last = '';
    const draw = () => {
      const filled = total === 0 ? width : Math.round((count / total) * width);
      const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
      const label = truncate(last, Math.max(0, columns - width - 20));
      this.stderr.write(`\r\x1b[2K${bar} ${count}/${total} ${label}`);
    };
    draw();
    return {
      tick: (line) => {
        count += 1;
        last = line;
        draw();
      },
      note: (line) => {
        this.stderr.write('\r\x1b[2K');
        this.line(line);
        draw();
      },
      done: () => this.stderr.write('\r\x1b[2K'),
    };
  }
}
