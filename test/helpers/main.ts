import { Readable, Writable } from 'node:stream';
import type { IO } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { repoRoot, type CliResult } from './cli.js';

/** A stream that keeps what is written to it. */
function capture(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

/**
 * `vela-ts ARGS` in this process: main(argv, io), as bin/vela-ts.js calls it, with no terminal and
 * an empty stdin, the same environment runCli gives the binary, and the printed text captured. No
 * build needed, and no process to start.
 */
export async function runMain(
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  const stdout = capture();
  const stderr = capture();
  const io: IO = {
    stdout: stdout.stream,
    stderr: stderr.stream,
    stdin: Readable.from([]),
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    cwd: opts.cwd ?? repoRoot,
  };
  const code = await main(args, io);
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}
