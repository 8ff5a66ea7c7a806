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
 * (its size, time and inode) and V8's version: a newer build at the same path replaces it, another
 * installation keeps its own; past MAX_CACHE_FILES the files least recently used go. V8 itself
 * refuses data that does not fit, and then the file is written anew. The cache only ever saves
 * time: a folder that cannot be read or written is no error.
 *
 * This file is loaded before the bundle, on every run: it imports nothing but Node's own modules.
 */
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
  /** Where the cache is, and whether V8 took it (`created`: there was none). */
  cache: { state: CacheState; file?: string };
  /** Keeps what V8 has compiled so far, when the cache was missing or refused; never throws. */
  save(): void;
}

/** The cache folder for this environment, or undefined when there is none (or it is turned off). */
export function cacheDir(env: NodeJS.ProcessEnv): string | undefined {
  const own = env.VELA_TS_COMPILE_CACHE;
  if (own !== undefined && own !== '') return /^(off|0|false|no)$/i.test(own) ? undefined : own;
  if (env.XDG_CACHE_HOME) return path.join(env.XDG_CACHE_HOME, 'vela-ts');
  const home = env.HOME ?? os.homedir();
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
  const source = fs.readFileSync(file, 'utf8');
  const command = commandOf(argv);
  const dir = cacheDir(env);
  const prefix = `${command}-${fnv1a(file)}-`;
  const cacheFile = dir ? path.join(dir, `${prefix}${stamp(file)}.v8cache`) : undefined;
  const own = cacheFile ? readOwn(cacheFile) : undefined;
  const cachedData = own?.data;
  const wrapped = `(function (exports, require, module, __filename, __dirname, __velaImport) {${source}\n})`;
  const script = new vm.Script(wrapped, { filename: file, cachedData });
  const state: CacheState = !cacheFile
    ? 'off'
    : cachedData === undefined
      ? 'created'
      : script.cachedDataRejected
        ? 'rejected'
        : 'accepted';
  const module = { exports: {} as Record<string, unknown> };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run(module.exports, createRequire(file), module, file, path.dirname(file), importer);
  // A file in use stays young (at most one touch a day), so pruning takes the ones nobody runs.
  if (state === 'accepted' && own && Date.now() - own.mtimeMs > DAY_MS) touch(cacheFile!);
  return {
    exports: module.exports,
    cache: { state, file: cacheFile },
    save() {
      if (!cacheFile || state === 'accepted') return;
      try {
        writeCache(cacheFile, prefix, () => script.createCachedData());
      } catch {
        // a read-only or full disk: the next run compiles again
      }
    },
  };
}

/**
 * The cache file's bytes, if this user owns it and nobody else may write it (bytecode is code: a
 * folder given in $VELA_TS_COMPILE_CACHE could be shared); else undefined, and it is written anew.
 */
function readOwn(file: string): { data: Buffer; mtimeMs: number } | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return undefined;
    // POSIX owners and modes; Windows reports neither (its folders are per-user already).
    if (process.platform !== 'win32' && (st.uid !== process.getuid?.() || (st.mode & 0o022) !== 0))
      return undefined;
    return { data: fs.readFileSync(fd), mtimeMs: st.mtimeMs };
  } catch {
    return undefined; // none yet, or unreadable: compile from the source
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** What a cache was made from: V8's version and the bundle's size, mtime, device and inode. */
function stamp(file: string): string {
  const st = fs.statSync(file);
  return [process.versions.v8, st.size, Math.trunc(st.mtimeMs), st.dev, st.ino].join('-');
}

/** FNV-1a, 32 bits, in hex: a short name for a path (node:crypto is a module more to load). */
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
 * Written whole or not at all (a temporary file renamed); older files of the same prefix removed,
 * then the oldest beyond MAX_CACHE_FILES. The bytecode is serialised only once the folder is there.
 */
function writeCache(cacheFile: string, prefix: string, data: () => Buffer): void {
  const dir = path.dirname(cacheFile);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const temp = `${cacheFile}.${process.pid}.tmp`;
  fs.writeFileSync(temp, data(), { mode: 0o600 });
  fs.renameSync(temp, cacheFile);
  const kept: { name: string; mtimeMs: number }[] = [];
  for (const name of fs.readdirSync(dir)) {
    if (!name.endsWith('.v8cache') || name === path.basename(cacheFile)) continue;
    const at = path.join(dir, name);
    if (name.startsWith(prefix)) fs.rmSync(at, { force: true });
    else kept.push({ name, mtimeMs: fs.statSync(at, { throwIfNoEntry: false })?.mtimeMs ?? 0 });
  }
  kept.sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const old of kept.slice(MAX_CACHE_FILES - 1)) fs.rmSync(path.join(dir, old.name), { force: true });
}
