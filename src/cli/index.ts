#!/usr/bin/env node
/**
 * The `koa-payments` bin. Runs the command line, waits for the output to be written, and exits
 * with the command's code (a config module may hold handles that would keep the process alive).
 */
import { main } from './main.js';

// `koa-payments events list | head`: the reader went away; nothing is wrong.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}

function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()));
}

const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(code);
