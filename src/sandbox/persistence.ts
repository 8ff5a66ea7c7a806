import {
  chmodSync,
  closeSync,
  existsSync,
  fchmodSync,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import type { TlsMaterial } from './tls.js';
import type { KObject } from './util.js';

/**
 * What `--state FILE` keeps: every object, the resourceVersion counter, the allocators, and the CA,
 * certificate and token, so a kubeconfig written by an earlier run keeps working after a restart.
 */
export interface SandboxState {
  kind: 'VelaTsSandboxState';
  version: 1;
  resourceVersion: number;
  token: string;
  tls: TlsMaterial;
  allocations: Allocations;
  objects: Array<{ resource: string; object: KObject }>;
}

export interface Allocations {
  clusterIP: number;
  nodePort: number;
}

/**
 * One committed write, as the journal keeps it: the object as stored (or, for a delete, which one
 * went), its resourceVersion, and the allocators after it (a create may have taken a clusterIP).
 */
export type JournalRecord =
  | { rv: number; op: 'put'; resource: string; object: KObject; allocations: Allocations }
  | {
      rv: number;
      op: 'delete';
      resource: string;
      namespace?: string;
      name: string;
      allocations: Allocations;
    };

/** Which of the sandbox's files a SandboxFileError is about, named as `sandbox serve`'s flag. */
export type SandboxFileRole = 'state' | 'kubeconfig' | 'audit-log';

/** A file the sandbox was told to use (`--state`, `--kubeconfig`, `--audit-log`) cannot be used. */
export class SandboxFileError extends Error {
  override name = 'SandboxFileError';
  constructor(
    readonly role: SandboxFileRole,
    readonly file: string,
    cause: unknown,
  ) {
    super(`cannot use ${file} as the sandbox's ${role.replace('-', ' ')}: ${(cause as Error).message}`);
  }
}

/** Runs `fn`, turning a file system error into a SandboxFileError naming the file and its role. */
export function usingFile<T>(role: SandboxFileRole, file: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (typeof (e as NodeJS.ErrnoException).code === 'string') throw new SandboxFileError(role, file, e);
    throw e;
  }
}

/**
 * A log opened once, owner-only, and appended to line by line (the audit log): opening it at
 * start means a path that cannot be written fails then, not at the first request.
 */
export class AppendFile {
  private fd: number | undefined;

  constructor(readonly file: string) {
    this.fd = openPrivate(file, 'a');
  }

  /** A line arriving after close (a request ending as the server stops) is dropped. */
  write(line: string): void {
    if (this.fd !== undefined) writeSync(this.fd, line);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** The journal sits next to the state file: `state.json` -> `state.json.journal`. */
export function journalPath(stateFile: string): string {
  return `${stateFile}.journal`;
}

/**
 * Creates `dir` and its missing parents owner-only (0700) whatever the umask, one level at a
 * time so a umask that strips the owner's bits cannot stop the next level. Folders that already
 * exist are left as they are: they are not ours.
 */
export function mkdirPrivate(dir: string): void {
  const abs = path.resolve(dir);
  const missing: string[] = [];
  for (let d = abs; !existsSync(d); d = path.dirname(d)) missing.unshift(d);
  for (const d of missing) {
    try {
      mkdirSync(d, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      continue;
    }
    // mkdir's mode goes through the umask; chmod does not.
    chmodSync(d, 0o700);
  }
}

/**
 * Opens `file` for writing (its folder made privately if missing) and makes it owner-only (0600)
 * before anything is written: an existing world-readable file is tightened, not trusted.
 */
export function openPrivate(file: string, flags: 'w' | 'a'): number {
  mkdirPrivate(path.dirname(path.resolve(file)));
  const fd = openSync(file, flags, 0o600);
  try {
    fchmodSync(fd, 0o600);
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  return fd;
}

/** Writes a whole file owner-only (0600), tightening the mode of one that exists. */
export function writePrivate(file: string, text: string): void {
  const fd = openPrivate(file, 'w');
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

/** The snapshot with the journal's later writes applied, or undefined when there is neither. */
export function loadState(file: string): SandboxState | undefined {
  const journal = journalPath(file);
  if (!existsSync(file)) {
    if (existsSync(journal) && statSync(journal).size > 0)
      throw new Error(
        `sandbox state ${file} is missing but its journal ${journal} is not; delete both to start afresh`,
      );
    return undefined;
  }
  const text = readFileSync(file, 'utf8');
  let s: SandboxState;
  try {
    s = JSON.parse(text) as SandboxState;
  } catch (e) {
    throw new Error(`sandbox state ${file} is not valid JSON: ${(e as Error).message}`);
  }
  if (s.kind !== 'VelaTsSandboxState' || s.version !== 1)
    throw new Error(`sandbox state ${file} is not a vela-ts sandbox state file`);
  return existsSync(journal) ? replay(s, readJournal(journal)) : s;
}

/**
 * The journal's records. A last line without its newline is a write cut short by a kill: it was
 * never answered, so it is dropped. Any other line that does not parse is damage, and an error.
 */
export function readJournal(file: string): JournalRecord[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  // After the last newline: nothing, or a torn record.
  lines.pop();
  const records: JournalRecord[] = [];
  lines.forEach((line, i) => {
    try {
      records.push(JSON.parse(line) as JournalRecord);
    } catch (e) {
      throw new Error(`sandbox journal ${file} line ${i + 1} is damaged: ${(e as Error).message}`);
    }
  });
  return records;
}

/** Applies the journal's records newer than the snapshot (older ones were compacted into it). */
export function replay(state: SandboxState, records: JournalRecord[]): SandboxState {
  const key = (resource: string, namespace: string | undefined, name: string | undefined) =>
    `${resource}\u0000${namespace ?? ''}/${name ?? ''}`;
  const objects = new Map(
    state.objects.map((o) => [key(o.resource, o.object.metadata.namespace, o.object.metadata.name), o]),
  );
  let { resourceVersion, allocations } = state;
  for (const r of records) {
    if (r.rv <= resourceVersion) continue;
    if (r.op === 'put')
      objects.set(key(r.resource, r.object.metadata.namespace, r.object.metadata.name), {
        resource: r.resource,
        object: r.object,
      });
    else objects.delete(key(r.resource, r.namespace, r.name));
    resourceVersion = r.rv;
    allocations = r.allocations;
  }
  const sorted = [...objects.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, o]) => o);
  return { ...state, resourceVersion, allocations, objects: sorted };
}

/**
 * Writes through a temporary file, fsync and a rename (and an fsync of the folder, so the rename
 * itself survives a power cut), so a crash leaves either the old snapshot or the new one.
 */
export function saveState(file: string, state: SandboxState): void {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openPrivate(tmp, 'w');
  try {
    writeSync(fd, `${JSON.stringify(state)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  syncDir(path.dirname(path.resolve(file)));
}

function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some filesystems refuse to fsync a folder; the rename is still atomic there.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * The write-ahead journal, as etcd keeps its WAL: every committed write is appended and
 * fdatasync'd before the store applies it, so nothing a client was answered is lost to a kill or
 * a power cut. `compact` folds it into the snapshot.
 */
export class Journal {
  private fd: number | undefined;
  private size: number;
  /** Records since the last compaction. */
  count = 0;

  constructor(readonly file: string) {
    // Opened for appending: after a truncation the next record lands at the (new) end.
    this.fd = openPrivate(file, 'a');
    this.size = fstatSync(this.fd).size;
  }

  append(record: JournalRecord): void {
    if (this.fd === undefined) throw new Error(`sandbox journal ${this.file} is closed`);
    const line = Buffer.from(`${JSON.stringify(record)}\n`);
    try {
      writeSync(this.fd, line);
      fdatasyncSync(this.fd);
    } catch (e) {
      // A half-written line (disk full) must not run into the next record.
      try {
        ftruncateSync(this.fd, this.size);
      } catch {
        // Nothing more to do: the read side drops a torn last line.
      }
      throw e;
    }
    this.size += line.length;
    this.count++;
  }

  /** After a snapshot holding every record: start the journal afresh. */
  truncate(): void {
    if (this.fd === undefined) return;
    ftruncateSync(this.fd, 0);
    fdatasyncSync(this.fd);
    this.size = 0;
    this.count = 0;
  }

  /** Closes it; `remove` deletes the file too (a clean stop leaves only the snapshot). */
  close(remove: boolean): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
    if (remove) rmSync(this.file, { force: true });
  }
}
