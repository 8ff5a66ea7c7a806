/**
 * `vela-ts sandbox serve --prometheus` as a user runs it (the built binary): the banner, the real
 * Prometheus it starts, and that no Prometheus outlives it, however it ends. Needs Debian's
 * prometheus (.ci/run installs it); without it these tests fail, never skip.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { binPath, runCli } from '../helpers/cli.js';
import { requirePrometheus } from '../helpers/prometheus.js';
import { tmpDir } from './helpers.js';

requirePrometheus();

const children = new Set<ChildProcess>();
afterEach(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children.clear();
});

/** Starts `sandbox serve --prometheus` and resolves with its banner once it is all printed. */
async function servePrometheus(args: string[] = []) {
  const dir = tmpDir('vela-serve-prom-');
  const child = spawn(
    process.execPath,
    [binPath, 'sandbox', 'serve', '--kubeconfig', path.join(dir, 'kc.yaml'), '--prometheus', ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('try: kubectl')) resolve();
    });
    void exited.then((how) => reject(new Error(`sandbox serve exited early (${how}): ${stderr}`)));
  });
  const url = stdout.match(/^prometheus: (http:\/\/127\.0\.0\.1:(\d+)) /m);
  if (!url) throw new Error(`no prometheus line in the banner:\n${stdout}`);
  return { child, stdout, stderr: () => stderr, exited, url: url[1]!, pid: prometheusPid(Number(url[2])) };
}

/** The pid of the prometheus process listening on `port`, from /proc. */
function prometheusPid(port: number): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string[];
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (
      path.basename(cmdline[0] ?? '') === 'prometheus' &&
      cmdline.includes(`--web.listen-address=127.0.0.1:${port}`)
    )
      return Number(entry);
  }
  throw new Error(`no prometheus process listens on port ${port}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function status(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on('error', reject);
  });
}

test('GIVEN sandbox serve --prometheus THEN the banner prints a ready Prometheus and the telemetry; SIGTERM stops both', async () => {
  const s = await servePrometheus(['--traffic-rps', '5']);
  expect(s.stdout).toMatch(
    /^mesh telemetry: http:\/\/127\.0\.0\.1:\d+\/metrics \(5 simulated requests\/s per VirtualService\)$/m,
  );
  expect(s.stdout).toContain('Service istio-system/prometheus:9090');
  expect(await status(`${s.url}/-/ready`)).toBe(200);
  expect(alive(s.pid)).toBe(true);
  s.child.kill('SIGTERM');
  expect(await s.exited).toBe(0);
  // serve waits for Prometheus to exit before it exits itself.
  expect(alive(s.pid)).toBe(false);
});

test('GIVEN sandbox serve --prometheus WHEN it is sent SIGINT THEN Prometheus stops with it', async () => {
  const s = await servePrometheus();
  s.child.kill('SIGINT');
  expect(await s.exited).toBe(0);
  expect(alive(s.pid)).toBe(false);
});

test('GIVEN sandbox serve --prometheus WHEN it is SIGKILLed THEN its watchdog stops Prometheus: no orphan', async () => {
  const s = await servePrometheus();
  const tsdb = readFileSync(`/proc/${s.pid}/cmdline`, 'utf8')
    .split('\0')
    .find((a) => a.startsWith('--storage.tsdb.path='))!
    .split('=')[1]!;
  s.child.kill('SIGKILL');
  expect(await s.exited).toBe('SIGKILL');
  // Nothing tells this process when an unrelated one exits: look until it is gone, or time out.
  const deadline = Date.now() + 15_000;
  while (alive(s.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(alive(s.pid)).toBe(false);
  // What a SIGKILL does leave (README): Prometheus' temporary folder, which nothing could remove.
  rmSync(path.dirname(tsdb), { recursive: true, force: true });
});

test('GIVEN --prometheus and no binary THEN one line names VELA_TS_PROMETHEUS_BIN and the Debian package; exit 2', async () => {
  const dir = tmpDir('vela-serve-prom-');
  const named = await runCli(['sandbox', 'serve', '--kubeconfig', path.join(dir, 'kc'), '--prometheus'], {
    env: { VELA_TS_PROMETHEUS_BIN: path.join(dir, 'no-such-prometheus') },
  });
  expect(named.code).toBe(2);
  expect(named.stdout).toBe('');
  expect(named.stderr.trim().split('\n')).toEqual([
    `error: --prometheus: VELA_TS_PROMETHEUS_BIN=${path.join(dir, 'no-such-prometheus')} is not an executable file; install Debian's prometheus package (apt-get install prometheus) or point VELA_TS_PROMETHEUS_BIN at a prometheus binary`,
  ]);
  const onPath = await runCli(['sandbox', 'serve', '--kubeconfig', path.join(dir, 'kc'), '--prometheus'], {
    env: { PATH: dir },
  });
  expect(onPath.code).toBe(2);
  expect(onPath.stderr).toContain('no prometheus binary on PATH');
  expect(onPath.stderr).toContain('VELA_TS_PROMETHEUS_BIN');
  expect(onPath.stderr).toContain('apt-get install prometheus');
});

test('GIVEN a bad --traffic-rps THEN a usage error names the flag', async () => {
  const r = await runCli(['sandbox', 'serve', '--traffic-rps', 'many']);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('--traffic-rps must be an integer from 0 to 100000, not "many"');
});
