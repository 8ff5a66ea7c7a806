import { readFile } from 'node:fs/promises';
import { parseApplication } from '../appfile/parse.js';
import type { ParsedFile } from '../appfile/types.js';
import { InputError, UsageError } from '../errors.js';

/** Reads and validates an application file; a missing file is a located input problem (exit 2). */
export async function loadAppFile(file: string): Promise<ParsedFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
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
