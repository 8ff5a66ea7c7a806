/**
 * Runs the bundled command line (dist/bin/vela-ts.cjs, written by scripts/bundle.js) with V8's code
 * cache, as Node 22's `module.enableCompileCache()` does for its own modules: the bytecode V8
 * compiled in a command's first run is kept on disk, and later runs of that command start from it
 * instead of parsing and compiling the bundle again (about a fifth of `render`'s and `status`'s
 * time; BENCHMARKS.md).
 *
 * The cache is a private, per-user folder: `$VELA_TS_COMPILE_CACHE`, else
 * `$XDG_CACHE_HOME/vela-ts`, else `~/.cache/vela-ts`, never a shared temporary folder: bytecode
 * read from a file another user can write would run as this user (and a file not this user's, or
 * writable by others, is never read). `VELA_TS_COMPILE_CACHE=off` turns it off. One file per
 * command and installation (a hash of the bundle's path), named after the bundle it was made from
 * (a hash of its bytes) and V8's version: a newer build at the same path replaces it, another
 * installation keeps its own; past MAX_CACHE_FILES the files least recently used go. Each file
 * carries a SHA-256 of its bytecode, checked before V8 sees it: V8 checks only a header and a
 * length, and damaged bytecode it takes would crash every later run. Data refused either way is
 * written anew. The cache only ever saves time: a folder that cannot be read or written is no
 * error.
 *
 * This file is loaded before the bundle, on every run: it imports nothing but Node's own modules.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';

/** The program's commands; a run is cached under the first of them in its arguments (else `other`). */
export const CACHED_COMMANDS = [
  'render',
  'plan',
  'up',
  'status',
  'ls',
  'history',
  'delete',
  'workflow',
  'rollback',
  'diff',
  'version',
  'completion',
  '__complete',
  'sandbox',
] as const;

export type CacheState = 'off' | 'created' | 'accepted' | 'rejected';

export interface LoadedBundle {
  /** What the bundle's `module.exports` holds. */
  exports: Record<string, unknown>;
  /** Where the cache is, and whether it was taken (`created`: there was none to read). */
  cache: { state: CacheState; file?: string };
  /** Keeps what V8 has compiled so far, when the cache was missing or refused; never throws. */
  save(): void;
}

/** The cache folder for this environment, or undefined when there is none (or it is turned off). */
export function cacheDir(env: NodeJS.ProcessEnv, homedir: () => string = os.homedir): string | undefined {
  const own = env.VELA_TS_COMPILE_CACHE;
  if (own !== undefined && own !== '') return /^(off|0|false|no)$/i.test(own) ? undefined : own;
  // The XDG spec: a relative value is to be ignored.
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'vela-ts');
  let home = env.HOME;
  if (home === undefined) {
    try {
      home = homedir();
    } catch {
      return undefined; // no HOME and a uid without a passwd entry (a container's arbitrary uid)
    }
  }
  return home ? path.join(home, '.cache', 'vela-ts') : undefined;
}

/**
 * What a run's cache file is named after: the first command in its arguments, with its verb for
 * `workflow` (each verb runs other code), `help` for any help, else `other`. A cache holds what
 * its first run compiled, so a `--help` must not stand in for the command it describes.
 */
export function commandOf(argv: readonly string[]): string {
  if (argv.some((a) => a === '--help' || a === '-h') || argv[0] === 'help') return 'help';
  const known: readonly string[] = CACHED_COMMANDS;
  const at = argv.findIndex((a) => known.includes(a));
  if (at < 0) return 'other';
  const command = argv[at]!;
  const verb = argv[at + 1];
  return command === 'workflow' && verb && /^[a-z]+$/.test(verb) ? `workflow-${verb}` : command;
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest();
const DIGEST = 32;

/**
 * Loads the bundle at `file` as CommonJS, compiled from the cache when there is one. `importer`
 * does the bundle's `import()` of external packages (a `vm` script has no module loader).
 */
export function loadBundle(
  file: string,
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  importer: (specifier: string) => Promise<unknown>,
): LoadedBundle {
  const bytes = fs.readFileSync(file);
  let target: { file: string; prefix: string } | undefined;
  try {
    const dir = cacheDir(env);
    const prefix = `${commandOf(argv)}-${fnv1a(file)}-`;
    const built = bundleDigest(bytes).slice(0, 16);
    if (dir) target = { file: path.join(dir, `${prefix}${process.versions.v8}-${built}.v8cache`), prefix };
  } catch {
    target = undefined; // the cache only ever saves time
  }
  const own = target ? readOwn(target.file) : undefined;
  const wrapped = `(function (exports, require, module, __filename, __dirname, __velaImport) {${bytes.toString('utf8')}\n})`;
  const script = new vm.Script(wrapped, { filename: file, cachedData: own?.data });
  const state: CacheState = !target
    ? 'off'
    : own === undefined
      ? 'created'
      : own.data === undefined || script.cachedDataRejected
        ? 'rejected'
        : 'accepted';
  const module = { exports: {} as Record<string, unknown> };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run(module.exports, createRequire(file), module, file, path.dirname(file), importer);
  // A file in use stays young (at most one touch a day), so pruning takes the ones nobody runs.
  if (state === 'accepted' && own && Date.now() - own.mtimeMs > DAY_MS) touch(target!.file);
  return {
    exports: module.exports,
    cache: { state, file: target?.file },
    save() {
      if (!target || state === 'accepted') return;
      try {
        writeCache(target.file, target.prefix, () => script.createCachedData());
      } catch {
        // a read-only or full disk: the next run compiles again
      }
    },
  };
}

/**
 * The cache file, if this user owns it, nobody else may write it (bytecode is code: a folder given
 * in $VELA_TS_COMPILE_CACHE could be shared) and it is a plain file: undefined when it is not
 * (or is not there), and `data` undefined when its bytecode does not match its checksum.
 */
function readOwn(file: string): { data: Buffer | undefined; mtimeMs: number } | undefined {
  let fd: number | undefined;
  try {
    // Never a symlink, and never a FIFO's blocking open.
    const { O_RDONLY, O_NONBLOCK = 0, O_NOFOLLOW = 0 } = fs.constants;
    fd = fs.openSync(file, O_RDONLY | O_NONBLOCK | O_NOFOLLOW);
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return undefined;
    // POSIX owners and modes; Windows reports neither (its folders are per-user already).
    if (process.platform !== 'win32' && (st.uid !== process.getuid?.() || (st.mode & 0o022) !== 0))
      return undefined;
    const all = fs.readFileSync(fd);
    const payload = all.subarray(DIGEST);
    const sound = all.length > DIGEST && sha256(payload).equals(all.subarray(0, DIGEST));
    return { data: sound ? payload : undefined, mtimeMs: st.mtimeMs };
  } catch {
    return undefined; // none yet, or unreadable: compile from the source
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * The SHA-256 of the bundle's code: named on its last line by scripts/bundle.js (hashing the
 * bundle at every start costs more than reading it), else worked out. A bundle edited by hand
 * after its build keeps its name: turn the cache off to try such edits.
 */
function bundleDigest(bytes: Buffer): string {
  const start = bytes.lastIndexOf(10, bytes.length - 2) + 1;
  const named = /^\/\/ vela-ts bundle sha256:([0-9a-f]{64})\n$/.exec(
    bytes.subarray(start).toString('latin1'),
  );
  return named ? named[1]! : sha256(bytes).toString('hex');
}

/** FNV-1a, 32 bits, in hex: a short name for a path. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

const DAY_MS = 86_400_000;
/** At most this many files (~0.5 MB each): installations come and go (`npx`, a test's temp prefix). */
export const MAX_CACHE_FILES = 64;

function touch(file: string): void {
  try {
    const now = new Date();
    fs.utimesSync(file, now, now);
  } catch {
    // only the pruning order suffers
  }
}

/**
 * Written whole or not at all: a temporary file of this process's own (created exclusively, so
 * never through a planted link, and synced) renamed over the old one. Then older files of the same
 * prefix go, the oldest beyond MAX_CACHE_FILES, and temporary files a killed run left an hour ago.
 * The bytecode is serialised only once the folder is there.
 */
function writeCache(cacheFile: string, prefix: string, data: () => Buffer): void {
  const dir = path.dirname(cacheFile);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const temp = `${cacheFile}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    const fd = fs.openSync(temp, 'wx', 0o600);
    try {
      const payload = data();
      fs.writeSync(fd, sha256(payload));
      fs.writeSync(fd, payload);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, cacheFile);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw err;
  }
  const kept: { name: string; mtimeMs: number }[] = [];
  for (const name of fs.readdirSync(dir)) {
    const at = path.join(dir, name);
    if (name.endsWith('.tmp')) {
      const st = fs.statSync(at, { throwIfNoEntry: false });
      if (st && Date.now() - st.mtimeMs > 3_600_000) fs.rmSync(at, { force: true });
      continue;
    }
    if (!name.endsWith('.v8cache') || name === path.basename(cacheFile)) continue;
    if (name.startsWith(prefix)) fs.rmSync(at, { force: true });
    else kept.push({ name, mtimeMs: fs.statSync(at, { throwIfNoEntry: false })?.mtimeMs ?? 0 });
  }
  kept.sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const old of kept.slice(MAX_CACHE_FILES - 1)) fs.rmSync(path.join(dir, old.name), { force: true });
}
