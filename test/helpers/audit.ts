import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, watch } from 'node:fs';
import path from 'node:path';

/** Every line of a sandbox audit log (one JSON object a request), oldest first; none before the first request. */
export function readAudit<E>(file: string): E[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as E);
}

/**
 * Resolves with the first audit entry after the first `after` ones that satisfies `pred`, the
 * ones already written included. The sandbox appends a line as it answers each request: this is
 * woken by the file's change events and reads only what was appended since, so waiting costs
 * nothing while nothing happens.
 */
export function auditEntry<E>(
  file: string,
  what: string,
  pred: (entry: E) => boolean,
  { after = 0, timeoutMs = 20_000 }: { after?: number; timeoutMs?: number } = {},
): Promise<E> {
  return new Promise<E>((resolve, reject) => {
    let seen = 0;
    let offset = 0;
    let partial = Buffer.alloc(0);
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      watcher.close();
      clearTimeout(timer);
      fn();
    };
    const readNew = () => {
      if (settled || !existsSync(file)) return;
      const fd = openSync(file, 'r');
      let chunk: Buffer;
      try {
        const size = fstatSync(fd).size;
        if (size <= offset) return;
        chunk = Buffer.alloc(size - offset);
        offset += readSync(fd, chunk, 0, chunk.length, offset);
      } finally {
        closeSync(fd);
      }
      partial = Buffer.concat([partial, chunk]);
      const end = partial.lastIndexOf(0x0a);
      if (end < 0) return;
      const lines = partial.subarray(0, end).toString('utf8').split('\n');
      partial = partial.subarray(end + 1);
      for (const line of lines) {
        if (!line || seen++ < after) continue;
        const entry = JSON.parse(line) as E;
        if (pred(entry)) return finish(() => resolve(entry));
      }
    };
    // The folder, not the file: the log only exists once the first request is answered.
    const base = path.basename(file);
    const watcher = watch(path.dirname(file), (_event, name) => {
      if (name === null || name === base) readNew();
    });
    const timer = setTimeout(
      () => finish(() => reject(new Error(`timed out waiting for ${what} in ${file}`))),
      timeoutMs,
    );
    readNew();
  });
}
