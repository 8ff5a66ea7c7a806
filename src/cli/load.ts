import { readFileSync } from 'node:fs';
import { parseApplication } from '../appfile/parse.js';
import type { ParsedFile } from '../appfile/types.js';
import { InputError, UsageError } from '../errors.js';
import { OperationRefused } from '../workflow/index.js';

/** How problems in a file read from standard input (`-`) are located. */
const STDIN_NAME = '<stdin>';

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Reads and validates an application file, or standard input for `-` (as kubectl's `-f -`); a
 * missing file is a located input problem (exit 2).
 */
export async function loadAppFile(
  file: string,
  input?: { readonly stdin: NodeJS.ReadableStream },
): Promise<ParsedFile> {
  if (file === '-') {
    // Asked for only here: opening standard input costs a stream a named file never needs.
    if (!input) throw new UsageError('standard input (-) cannot be read here');
    return parseApplication(await readAll(input.stdin), STDIN_NAME);
  }
  let text: string;
  try {
    // Synchronous: one small file, and fs/promises is a module more to load at start-up.
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'is a directory, not a file'
          : 'cannot be read';
    throw new InputError([{ file, line: 0, column: 0, path: '', message: why }]);
  }
  return parseApplication(text, file);
}

/**
 * The app's namespace: the file's metadata.namespace, else -n, else the context's (when known),
 * else "default". A file and a flag that disagree is a usage error, as with kubectl.
 */
export function resolveNamespace(
  parsed: ParsedFile,
  flag: string | undefined,
  contextNamespace?: string,
): string {
  const own = parsed.app.namespace;
  if (own && flag && own !== flag) {
    throw new UsageError(
      `${parsed.file} says namespace "${own}" but --namespace is "${flag}"; drop one of them`,
    );
  }
  return own ?? flag ?? contextNamespace ?? 'default';
}

/**
 * A spec the workflow refused before anything moved, pointed at its lines in the file (exit 2,
 * like every other problem with the file). Anything else passes through unchanged.
 */
export function locateRefusal(parsed: ParsedFile, err: unknown): unknown {
  if (!(err instanceof OperationRefused) || err.problems.length === 0) return err;
  const lineOf = (path: string): number => {
    // The nearest enclosing node the file has a line for.
    for (let p = path; ;) {
      const line = parsed.lines.get(p);
      if (line !== undefined) return line;
      const up = p.replace(/(\.?[^.[\]]+|\[\d+\])$/, '');
      if (up === p) return 0;
      p = up;
    }
  };
  return new InputError(
    err.problems.map((p) => ({
      file: parsed.file,
      line: lineOf(p.path),
      column: 0,
      path: p.path,
      message: p.message,
    })),
  );
}
