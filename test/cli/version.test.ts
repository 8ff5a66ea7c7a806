import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot, runCli } from '../helpers/cli.js';
import { SandboxCluster } from '../helpers/sandbox-cluster.js';

// `vela-ts version`, as `kubectl version`: the client's version, then the server's from /version;
// a cluster that cannot be reached leaves the client's on stdout and exits 1 with the error.

const packageVersion = (
  JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }
).version;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'vela-ts-version-'));
const unreachable = path.join(tmp, 'unreachable.kubeconfig');
writeFileSync(
  unreachable,
  [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '  - name: nowhere',
    '    cluster: { server: "https://127.0.0.1:1" }',
    'contexts:',
    '  - name: nowhere',
    '    context: { cluster: nowhere, user: someone }',
    'current-context: nowhere',
    'users:',
    '  - name: someone',
    '    user: { token: version-test-token }',
    '',
  ].join('\n'),
);

interface VersionJson {
  clientVersion: { version: string; nodeVersion: string; platform: string };
  serverVersion?: { gitVersion: string; major: string; minor: string };
}

describe('vela-ts version', () => {
  let c: SandboxCluster;
  beforeAll(async () => {
    c = await new SandboxCluster().start();
  });
  afterAll(() => c.stop());

  it("GIVEN a cluster that answers THEN the client's version (package.json's) and the server's gitVersion from /version", async () => {
    const served = (await c.request('GET', '/version')).body as { gitVersion: string };
    const res = await c.vela(['version']);
    expect(res).toEqual({
      code: 0,
      stdout: `Client Version: ${packageVersion}\nServer Version: ${served.gitVersion} (the vela-ts sandbox, a simulated cluster)\n`,
      stderr: '',
    });
  });

  it("GIVEN -o json THEN both versions as objects, the server's as it answered", async () => {
    const served = (await c.request('GET', '/version')).body as Record<string, unknown>;
    const res = await c.vela(['version', '-o', 'json']);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual({
      clientVersion: {
        version: packageVersion,
        nodeVersion: process.version,
        platform: `${process.platform}/${process.arch}`,
      },
      serverVersion: served,
    });
  });

  it('GIVEN --client THEN only the client, and no cluster is asked (an unreachable one is fine)', async () => {
    const res = await runCli(['--kubeconfig', unreachable, 'version', '--client']);
    expect(res).toEqual({ code: 0, stdout: `Client Version: ${packageVersion}\n`, stderr: '' });
    const json = await runCli(['--kubeconfig', unreachable, 'version', '--client', '-o', 'json']);
    expect((JSON.parse(json.stdout) as VersionJson).serverVersion).toBeUndefined();
  });

  it("GIVEN a cluster that cannot be reached THEN the client's version, then the error, exit 1 (as kubectl version)", async () => {
    const res = await runCli(['--kubeconfig', unreachable, 'version'], { env: { HOME: tmp } });
    expect(res.code).toBe(1);
    expect(res.stdout).toBe(`Client Version: ${packageVersion}\n`);
    expect(res.stderr).toMatch(
      /^error: cannot reach the cluster at https:\/\/127\.0\.0\.1:1 \(connection refused\)/m,
    );
    expect(res.stderr).not.toContain('version-test-token');
    const json = await runCli(['--kubeconfig', unreachable, 'version', '-o', 'json'], { env: { HOME: tmp } });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({
      clientVersion: expect.objectContaining({ version: packageVersion }),
    });
  });

  it('GIVEN --sandbox THEN the embedded sandbox is asked, in the folder the command runs in', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vela-ts-version-sandbox-'));
    const res = await runCli(['version', '--sandbox'], { cwd: dir });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(
      /^Client Version: .*\nServer Version: v\d+\.\d+\.\d+ \(the vela-ts sandbox, a simulated cluster\)\n$/,
    );
  });

  it('GIVEN --version THEN the same client version', async () => {
    expect(await runCli(['--version'])).toMatchObject({ code: 0, stdout: `${packageVersion}\n` });
  });
});
