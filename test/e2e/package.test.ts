import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot, runProcess } from '../helpers/cli.js';

// What a user gets from `npm pack` / the registry: built from a copy of the sources (its prepack
// builds dist/ afresh), installed into an empty prefix, and run from an empty folder with nothing
// of this repository around it.

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

const run = (cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) =>
  runProcess(cmd, args, { cwd, env: { NO_COLOR: '1', ...env }, timeoutMs: 120_000 });

describe('the npm package', () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'vela-ts-pack-'));
  let tarball = '';
  let files: string[] = [];
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  beforeAll(async () => {
    // A copy of the tracked (and new, not ignored) files, so packing cannot disturb the dist/ that
    // other tests run from; node_modules is linked for the build's TypeScript.
    const src = path.join(work, 'src');
    const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
      cwd: repoRoot,
      encoding: 'utf8',
    })
      .split('\0')
      .filter(Boolean);
    for (const f of listed) {
      mkdirSync(path.dirname(path.join(src, f)), { recursive: true });
      cpSync(path.join(repoRoot, f), path.join(src, f));
    }
    symlinkSync(path.join(repoRoot, 'node_modules'), path.join(src, 'node_modules'));
    const packed = await run(npm, ['pack', '--json', '--pack-destination', work], src);
    expect(packed).toMatchObject({ code: 0 });
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as {
      filename: string;
      files: { path: string }[];
    }[];
    tarball = path.join(work, info!.filename);
    files = info!.files.map((f) => f.path);
  });

  it('GIVEN npm pack THEN the tarball holds the built dist/, the schemas and the examples, and no tests or sources', () => {
    expect(files).toContain('bin/vela-ts.js');
    expect(files).toContain('dist/cli/main.js');
    expect(files).toContain('schemas/kubernetes-v1.32/api__v1_openapi.json.gz');
    expect(files).toContain('schemas/istio-1.29.6/networking.istio.io-crds.yaml.gz');
    expect(files).toContain('schemas/README.md');
    expect(files).toContain('examples/bookinfo/rollout-v2.yaml');
    expect(files.filter((f) => /^(test|src|scripts)\//.test(f) || f.endsWith('.ts'))).toEqual([]);
  });

  it('GIVEN the tarball installed into an empty prefix WHEN the quick start runs in an empty folder THEN the canary stops at 90/10 and resume releases it', async () => {
    const prefix = path.join(work, 'prefix');
    const installed = await run(
      npm,
      ['install', '--global', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball],
      work,
    );
    expect(installed).toMatchObject({ code: 0 });
    const bin = path.join(prefix, 'bin', 'vela-ts');
    const examples = path.join(prefix, 'lib', 'node_modules', 'vela-ts', 'examples', 'bookinfo');
    const empty = path.join(work, 'empty');
    mkdirSync(empty);
    const vela = (...args: string[]) => run(bin, args, empty, { VELA_TS_SANDBOX_READY_DELAY_MS: '200' });

    expect(await vela('--version')).toMatchObject({ code: 0, stdout: '0.1.0\n' });
    const first = await vela('up', path.join(examples, 'first-deploy.yaml'), '--sandbox');
    expect(first).toMatchObject({ code: 0, stdout: expect.stringContaining('workflow succeeded') });
    const canary = await vela('up', path.join(examples, 'rollout-v2.yaml'), '--sandbox');
    expect(canary.code).toBe(0);
    expect(canary.stdout).toMatch(/reviews-v1 +1\/1 +90%/);
    expect(canary.stdout).toMatch(/reviews-v2 +1\/1 +10%/);
    const resumed = await vela('workflow', 'resume', 'book-info', '--sandbox');
    expect(resumed).toMatchObject({ code: 0, stdout: expect.stringContaining('workflow succeeded') });
    const status = await vela('status', 'book-info', '--sandbox', '-o', 'json');
    expect(JSON.parse(status.stdout)).toMatchObject({ workflow: { phase: 'succeeded' } });
    expect(readdirSync(empty)).toEqual(['.vela-ts']);
  });
});
