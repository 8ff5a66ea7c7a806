/**
 * What the commands' declarations (commands/<name>.flags.ts) share: what the program hands each of
 * them, the application file (positional or -f), the Examples section of --help, and the flags of
 * a run. Every run loads this file (main.ts declares the whole program up front), so it imports
 * commander's types and nothing heavier than UsageError.
 */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import type { GlobalOptions } from './globals.js';
import type { IO } from './io.js';

/** What buildProgram gives each command's declaration, for its action. */
export interface CommandContext {
  io: IO;
  /** The program's global flags as parsed: call it in the action, once the command line is read. */
  globals: () => GlobalOptions;
  /** Runs the command (its module imported inside `load`) and hands its exit code to the program. */
  run: (load: () => Promise<number>) => Promise<void>;
}

/**
 * The file a command takes, given either as its argument or with `-f` (the `kubectl apply -f`
 * habit), not both; `-` is standard input.
 */
export function fileArgument(positional: string | undefined, flag: string | undefined): string {
  if (positional !== undefined && flag !== undefined && positional !== flag) {
    throw new UsageError(`two files given (${positional} and -f ${flag}); give one`);
  }
  const file = positional ?? flag;
  if (file === undefined)
    throw new UsageError('no application file given: name it, or use -f FILE (- for standard input)');
  return file;
}

/** A command that takes the application file, positionally or with -f. */
export function withFile(command: Command): Command {
  return command
    .argument('[file]', 'application file (- for standard input)')
    .option('-f, --file <file>', 'the application file, as kubectl apply -f takes it');
}

/** The Examples section every command's --help ends with, as kubectl, vela and argo have. */
export function examples(command: Command, lines: string[]): Command {
  return command.addHelpText('after', `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}\n`);
}

/** The flags of a command that drives the workflow on: `up`, and the verbs that resume it. */
export function withRunFlags(command: Command): Command {
  return command
    .option('--yes', 'approve every suspend that waits for approval (timed ones are still waited out)', false)
    .option('--no-prompt', 'never ask at a suspend step; leave it suspended and exit 0')
    .option('--timeout <duration>', 'how long a step may wait for readiness (0: no limit)', '10m')
    .option(
      '--traffic-settle <duration>',
      'pause after each route or subset change (default 5s; 0 on the sandbox)',
    )
    .option(
      '--prometheus <url>',
      "where metric gates query, over the file's metricEndpoint (default: $VELA_TS_PROMETHEUS_URL)",
    );
}
