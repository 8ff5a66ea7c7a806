import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { processIO } from '../../src/cli/io.js';
import { buildProgram } from '../../src/cli/main.js';
import {
  CACHED_COMMANDS,
  MAX_CACHE_FILES,
  cacheDir,
  commandOf,
  loadBundle,
} from '../../src/cli/compile-cache.js';

// A stand-in for dist/bin/vela-ts.cjs: CommonJS that requires a neighbour (so `require` is the
// bundle's own), imports through the loader's importer, and does enough work for V8 to cache.
const BUNDLE = `
const path = require('node:path');
const helper = require('./helper.cjs');
function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
exports.main = async (argv) => ({ argv, fib: fib(15), helper: helper.name, file: path.basename(__filename),
  os: typeof (await __velaImport('node:os')).cpus });
`;

let work: string;
let bundle: string;
const importer = (s: string) => import(s);
beforeEach(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-cc-'));
  bundle = path.join(work, 'vela-ts.cjs');
  fs.writeFileSync(bundle, BUNDLE);
  fs.writeFileSync(path.join(work, 'helper.cjs'), "exports.name = 'helper';");
});
afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

const env = (dir = path.join(work, 'cache')) => ({ VELA_TS_COMPILE_CACHE: dir });
async function runOnce(argv: string[], e: NodeJS.ProcessEnv) {
  const loaded = loadBundle(bundle, argv, e, importer);
  const out = await (loaded.exports.main as (a: string[]) => Promise<Record<string, unknown>>)(argv);
  loaded.save();
  return { loaded, out };
}

// Whether V8 takes a cache can only be seen across processes (within one, V8 reuses what it compiled
// already): test/e2e/compile-cache.test.ts runs the built binary for that. Here, what one process does.
describe('one run of the bundle', () => {
  it('GIVEN no cache WHEN a command runs THEN it runs the bundle and keeps its bytecode in a private file named after the command', async () => {
    const { loaded, out } = await runOnce(['render', 'app.yaml'], env());
    expect(loaded.cache.state).toBe('created');
    expect(out).toEqual({
      argv: ['render', 'app.yaml'],
      fib: 610,
      helper: 'helper',
      file: 'vela-ts.cjs',
      os: 'function',
    });
    const file = loaded.cache.file!;
    expect(path.dirname(file)).toBe(path.join(work, 'cache'));
    expect(path.basename(file)).toMatch(/^render-.*\.v8cache$/);
    expect(fs.statSync(file).size).toBeGreaterThan(0);
    expect(fs.statSync(file).mode & 0o077).toBe(0);
  });

  it('GIVEN a new bundle WHEN the command runs THEN the old bundle’s cache of it is replaced, other commands’ kept', async () => {
    const dir = path.join(work, 'cache');
    const old = (await runOnce(['status'], env())).loaded.cache.file!;
    const other = (await runOnce(['plan'], env())).loaded.cache.file!;
    fs.writeFileSync(bundle, `${BUNDLE}\n// a newer build\n`);
    const fresh = await runOnce(['status'], env());
    expect(fresh.loaded.cache.file).not.toBe(old);
    expect(fs.readdirSync(dir).sort()).toEqual(
      [path.basename(fresh.loaded.cache.file!), path.basename(other)].sort(),
    );
  });

  it('GIVEN two installations WHEN each runs the same command THEN each keeps its own cache', async () => {
    const dir = path.join(work, 'cache');
    const mine = (await runOnce(['status'], env())).loaded.cache.file!;
    const other = path.join(work, 'other');
    fs.mkdirSync(other);
    fs.copyFileSync(bundle, path.join(other, 'vela-ts.cjs'));
    fs.copyFileSync(path.join(work, 'helper.cjs'), path.join(other, 'helper.cjs'));
    const theirs = loadBundle(path.join(other, 'vela-ts.cjs'), ['status'], env(), importer);
    theirs.save();
    expect(theirs.cache.file).not.toBe(mine);
    expect(fs.readdirSync(dir).sort()).toEqual(
      [path.basename(mine), path.basename(theirs.cache.file!)].sort(),
    );
  });

  it('GIVEN a cache file others may write WHEN the command runs THEN it is not read, and is written anew as this user’s', async () => {
    const file = (await runOnce(['status'], env())).loaded.cache.file!;
    fs.writeFileSync(file, 'planted bytecode');
    fs.chmodSync(file, 0o666);
    const next = await runOnce(['status'], env());
    // Read, it would have been refused by V8 ('rejected'); unread, it is as if there were none.
    expect(next.loaded.cache.state).toBe('created');
    expect(next.out.fib).toBe(610);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(file, 'utf8')).not.toBe('planted bytecode');
  });

  it('GIVEN a folder full of other installations’ files WHEN a command writes its own THEN the oldest beyond the limit go', async () => {
    const dir = path.join(work, 'cache');
    fs.mkdirSync(dir, { recursive: true });
    const now = Date.now() / 1000;
    const others = Array.from(
      { length: MAX_CACHE_FILES + 5 },
      (_, i) => `plan-${String(i).padStart(8, '0')}-x.v8cache`,
    );
    others.forEach((name, i) => {
      fs.writeFileSync(path.join(dir, name), 'x');
      fs.utimesSync(path.join(dir, name), now - i * 60, now - i * 60); // the higher i, the older
    });
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'not ours');
    const mine = (await runOnce(['status'], env())).loaded.cache.file!;
    const left = fs.readdirSync(dir).filter((n) => n.endsWith('.v8cache'));
    expect(left).toHaveLength(MAX_CACHE_FILES);
    expect(left).toContain(path.basename(mine));
    expect(left.sort()).toEqual([path.basename(mine), ...others.slice(0, MAX_CACHE_FILES - 1)].sort());
    expect(fs.existsSync(path.join(dir, 'notes.txt'))).toBe(true);
  });

  it('GIVEN a cache file whose bytecode no longer matches its checksum WHEN the command runs THEN V8 never sees it, and it is written anew', async () => {
    const file = (await runOnce(['status'], env())).loaded.cache.file!;
    const damaged = fs.readFileSync(file);
    damaged.writeUInt8(damaged.readUInt8(damaged.length - 100) ^ 0xff, damaged.length - 100); // one flipped byte deep in the bytecode
    fs.writeFileSync(file, damaged);
    const next = await runOnce(['status'], env());
    expect(next.loaded.cache.state).toBe('rejected');
    expect(next.out.fib).toBe(610);
    expect(fs.readFileSync(file).equals(damaged)).toBe(false);
  });

  it('GIVEN a bundle changed in place with its size and time kept WHEN the command runs THEN the old bytecode is not its cache', async () => {
    const first = (await runOnce(['status'], env())).loaded.cache.file!;
    const st = fs.statSync(bundle);
    fs.writeFileSync(bundle, BUNDLE.replace('fib(15)', 'fib(14)'));
    fs.utimesSync(bundle, st.atime, st.mtime);
    expect(fs.statSync(bundle).size).toBe(st.size);
    const next = await runOnce(['status'], env());
    expect(next.loaded.cache.file).not.toBe(first);
    expect(next.loaded.cache.state).toBe('created');
    expect(next.out.fib).toBe(377);
  });

  it('GIVEN a FIFO where the cache file would be WHEN the command runs THEN it does not wait on it', async () => {
    const file = (await runOnce(['plan'], env())).loaded.cache.file!;
    fs.rmSync(file);
    execFileSync('mkfifo', [file]);
    const next = await runOnce(['plan'], env());
    expect(next.loaded.cache.state).toBe('created');
    expect(next.out.fib).toBe(610);
  });

  it('GIVEN VELA_TS_COMPILE_CACHE=off WHEN a command runs THEN nothing is cached', async () => {
    const { loaded, out } = await runOnce(['render'], { VELA_TS_COMPILE_CACHE: 'off', HOME: work });
    expect(loaded.cache.state).toBe('off');
    expect(out.fib).toBe(610);
    expect(fs.readdirSync(work).sort()).toEqual(['helper.cjs', 'vela-ts.cjs']);
  });

  it('GIVEN a cache folder that cannot be created WHEN a command runs THEN it runs without one', async () => {
    const blocker = path.join(work, 'a-file');
    fs.writeFileSync(blocker, '');
    const { out } = await runOnce(['render'], env(path.join(blocker, 'cache')));
    expect(out.fib).toBe(610);
    expect(fs.statSync(blocker).isFile()).toBe(true);
  });
});

describe('where the cache is and what it is named after', () => {
  it('is $VELA_TS_COMPILE_CACHE, else $XDG_CACHE_HOME/vela-ts, else ~/.cache/vela-ts: never a shared folder', () => {
    expect(cacheDir({ VELA_TS_COMPILE_CACHE: '/c', XDG_CACHE_HOME: '/x', HOME: '/h' })).toBe('/c');
    expect(cacheDir({ XDG_CACHE_HOME: '/x', HOME: '/h' })).toBe(path.join('/x', 'vela-ts'));
    expect(cacheDir({ HOME: '/h' })).toBe(path.join('/h', '.cache', 'vela-ts'));
    for (const off of ['off', '0', 'false', 'no', 'OFF'])
      expect(cacheDir({ VELA_TS_COMPILE_CACHE: off })).toBeUndefined();
    // The XDG spec: a relative value is ignored.
    expect(cacheDir({ XDG_CACHE_HOME: 'relative', HOME: '/h' })).toBe(path.join('/h', '.cache', 'vela-ts'));
    expect(cacheDir({ HOME: '' })).toBeUndefined();
  });

  it('GIVEN no HOME and a uid without a passwd entry (os.homedir throws) THEN no cache, and no error', () => {
    const noEntry = () => {
      throw new Error('ENOENT: no such file or directory, uv_os_get_passwd');
    };
    expect(cacheDir({}, noEntry)).toBeUndefined();
    expect(cacheDir({}, () => '/home/me')).toBe(path.join('/home/me', '.cache', 'vela-ts'));
  });

  it('names a run after the first command in its arguments, past global flags', () => {
    expect(commandOf(['--kubeconfig', '/k', 'status', 'book-info'])).toBe('status');
    expect(commandOf(['-n', 'prod', 'rollback', 'x'])).toBe('rollback');
    expect(commandOf(['--help'])).toBe('help');
    expect(commandOf(['status', '--help'])).toBe('help');
    expect(commandOf(['help', 'up'])).toBe('help');
    expect(commandOf(['--kubeconfig', '/k', 'workflow', 'resume', 'x'])).toBe('workflow-resume');
    expect(commandOf(['workflow'])).toBe('workflow');
    expect(commandOf(['--version'])).toBe('other');
  });

  it('knows every command of the program', () => {
    const program = buildProgram(processIO(), () => undefined);
    expect([...CACHED_COMMANDS].sort()).toEqual(program.commands.map((c) => c.name()).sort());
  });
});
