import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { kubevelaExamples, runCli } from '../helpers/cli.js';

// The built binary, each run its own process, with a cache folder of its own.
let work: string;
let cache: string;
beforeEach(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-cc-e2e-'));
  cache = path.join(work, 'cache');
});
afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

const render = () =>
  runCli(['render', path.join(kubevelaExamples, 'first-deploy.yaml')], {
    env: { VELA_TS_COMPILE_CACHE: cache },
  });
const files = () => (fs.existsSync(cache) ? fs.readdirSync(cache).sort() : []);

describe('the binary starts from the bytecode an earlier run of the same command left', () => {
  it('GIVEN no cache WHEN render runs twice THEN the first keeps its bytecode and the second takes it as it is', async () => {
    const first = await render();
    expect(first.code).toBe(0);
    expect(first.stderr).toBe('');
    const [file] = files();
    expect(files()).toEqual([expect.stringMatching(/^render-.*\.v8cache$/)]);
    const written = fs.readFileSync(path.join(cache, file!));
    const mtime = fs.statSync(path.join(cache, file!)).mtimeMs;

    const second = await render();
    expect(second).toEqual(first);
    // Taken by V8, so not written again.
    expect(fs.statSync(path.join(cache, file!)).mtimeMs).toBe(mtime);
    expect(fs.readFileSync(path.join(cache, file!)).equals(written)).toBe(true);
  });

  it('GIVEN a cache file V8 refuses WHEN the command runs THEN the output is the same and the file is written anew', async () => {
    const first = await render();
    const [file] = files();
    fs.writeFileSync(path.join(cache, file!), 'not bytecode');
    const again = await render();
    expect(again).toEqual(first);
    expect(fs.readFileSync(path.join(cache, file!), 'utf8')).not.toBe('not bytecode');
    expect(fs.statSync(path.join(cache, file!)).size).toBeGreaterThan(1000);
  });

  it('GIVEN a cache file damaged deep in its bytecode WHEN the command runs THEN V8 never runs it: same output, file written anew', async () => {
    const first = await render();
    const [file] = files();
    const damaged = fs.readFileSync(path.join(cache, file!));
    for (let at = 4096; at < damaged.length; at += 4096) damaged.writeUInt8(damaged.readUInt8(at) ^ 0x5a, at);
    fs.writeFileSync(path.join(cache, file!), damaged);
    const again = await render();
    expect(again).toEqual(first);
    expect(fs.readFileSync(path.join(cache, file!)).equals(damaged)).toBe(false);
    expect((await render()).code).toBe(0);
  });

  it('GIVEN two commands WHEN each runs THEN each has its own file', async () => {
    expect((await render()).code).toBe(0);
    expect((await runCli(['version', '--client'], { env: { VELA_TS_COMPILE_CACHE: cache } })).code).toBe(0);
    expect(files()).toEqual([
      expect.stringMatching(/^render-.*\.v8cache$/),
      expect.stringMatching(/^version-.*\.v8cache$/),
    ]);
  });

  it('GIVEN a run refused at its input, or a --help WHEN it ends THEN it leaves no cache for the command', async () => {
    const bad = path.join(work, 'bad.yaml');
    fs.writeFileSync(bad, 'apiVersion: core.oam.dev/v1beta1\nkind: Application\n');
    const refused = await runCli(['render', bad], { env: { VELA_TS_COMPILE_CACHE: cache } });
    expect(refused.code).toBe(2);
    expect(files()).toEqual([]);
    expect((await runCli(['render', '--help'], { env: { VELA_TS_COMPILE_CACHE: cache } })).code).toBe(0);
    expect(files()).toEqual([expect.stringMatching(/^help-.*\.v8cache$/)]);
  });

  it('GIVEN the cache turned off, or a folder that cannot be made WHEN a command runs THEN it runs, silently, without one', async () => {
    const off = await runCli(['render', path.join(kubevelaExamples, 'first-deploy.yaml')], {
      env: { VELA_TS_COMPILE_CACHE: 'off', XDG_CACHE_HOME: path.join(work, 'xdg') },
    });
    expect(off.code).toBe(0);
    expect(fs.existsSync(path.join(work, 'xdg'))).toBe(false);

    const blocker = path.join(work, 'a-file');
    fs.writeFileSync(blocker, '');
    const blocked = await runCli(['render', path.join(kubevelaExamples, 'first-deploy.yaml')], {
      env: { VELA_TS_COMPILE_CACHE: path.join(blocker, 'cache') },
    });
    expect(blocked).toEqual(off);
  });
});
