/**
 * Two `--sandbox` processes in one folder: the first serves the folder's state, the second talks
 * to it, and no process's work is ever overwritten; `sandbox serve` on that state joins the same
 * rule.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, watch } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { claimFile, shareSandbox } from '../../src/cluster/sandbox-share.js';
import { binPath, kubevelaExamples, runCli } from '../helpers/cli.js';

const first = path.join(kubevelaExamples, 'first-deploy.yaml');
const rollout = path.join(kubevelaExamples, 'rollout-v2.yaml');

function folder(): { dir: string; state: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vela-ts-two-'));
  mkdirSync(path.join(dir, '.vela-ts'), { mode: 0o700 });
  return { dir, state: path.join(dir, '.vela-ts', 'state.json') };
}

/** Resolves once the state's owner serves it (its claim names a presence port): woken by the folder's changes. */
function serving(state: string, timeoutMs = 20_000): Promise<void> {
  const ready = () => {
    try {
      return 'presence' in (JSON.parse(readFileSync(claimFile(state), 'utf8')) as object);
    } catch {
      return false;
    }
  };
  return new Promise((resolve, reject) => {
    const watcher = watch(path.dirname(state), () => {
      if (ready()) finish(resolve);
    });
    const timer = setTimeout(() => finish(() => reject(new Error('the sandbox never served'))), timeoutMs);
    const finish = (fn: () => void) => {
      clearTimeout(timer);
      watcher.close();
      fn();
    };
    if (ready()) finish(resolve);
  });
}

interface Status {
  workflow: { phase: string };
  components: {
    name: string;
    revisions: { name: string; readyReplicas: number }[];
    traffic?: { revision: string; weight: number }[];
  }[];
}

describe('two --sandbox processes in one folder', () => {
  it("GIVEN one driving a rollout WHEN another runs status --watch meanwhile THEN both succeed, and the recorded state is the driver's", async () => {
    const { dir, state } = folder();
    expect(await runCli(['up', first, '--sandbox'], { cwd: dir })).toMatchObject({ code: 0 });

    const driver = runCli(['up', rollout, '--sandbox', '--yes'], {
      cwd: dir,
      env: { VELA_TS_SANDBOX_READY_DELAY_MS: '500' },
    });
    await serving(state);
    const watcher = await runCli(['status', 'book-info', '--sandbox', '--watch'], { cwd: dir });
    const driven = await driver;

    expect(driven).toMatchObject({ code: 0 });
    expect(driven.stdout).toContain('book-info: workflow succeeded.');
    expect(watcher.code).toBe(0);
    expect(watcher.stdout).toContain('App:       book-info');
    expect(existsSync(claimFile(state))).toBe(false);

    // A new process owns the folder now, and finds what the driver left.
    const after = await runCli(['status', 'book-info', '--sandbox', '-o', 'json'], { cwd: dir });
    const s = JSON.parse(after.stdout) as Status;
    expect(s.workflow.phase).toBe('succeeded');
    const reviews = s.components.find((c) => c.name === 'reviews');
    expect(reviews?.revisions.map((r) => `${r.name} ${r.readyReplicas}`)).toEqual(['reviews-v2 2']);
    expect(reviews?.traffic).toEqual([{ revision: 'reviews-v2', weight: 100 }]);
  });

  it('GIVEN the serving command ends while another still uses the sandbox THEN it says so and serves on until that one has gone', async () => {
    const { dir, state } = folder();
    const owner = spawn(process.execPath, [binPath, 'up', first, '--sandbox'], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1', VELA_TS_SANDBOX_READY_DELAY_MS: '1500' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let exited: number | null | undefined;
    const exit = new Promise<number | null>((resolve) =>
      owner.on('close', (code) => {
        exited = code;
        resolve(code);
      }),
    );
    const lingering = new Promise<void>((resolve) =>
      owner.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('the sandbox stays up while another vela-ts command uses it')) resolve();
      }),
    );
    await serving(state);
    // This test process is the other command: a guest of the owner.
    const guest = await shareSandbox(state);
    expect(guest.role).toBe('guest');
    await lingering;
    expect(exited).toBeUndefined();
    await guest.release();
    expect(await exit).toBe(0);
    expect(existsSync(claimFile(state))).toBe(false);
  });

  it("GIVEN sandbox serve on the folder's state THEN a --sandbox command is its guest, and what it did is there after serve stops", async () => {
    const { dir, state } = folder();
    const kubeconfig = path.join(dir, 'k.yaml');
    const serve = spawn(
      process.execPath,
      [binPath, 'sandbox', 'serve', '--state', state, '--kubeconfig', kubeconfig, '--ready-delay', '20'],
      { cwd: dir, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const stopped = new Promise<number | null>((resolve) => serve.on('close', resolve));
    await serving(state);

    // Another serve of the same state is refused: one owner at a time.
    const second = await runCli(['sandbox', 'serve', '--state', state], { cwd: dir });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`already serves the sandbox state ${state}`);

    expect(await runCli(['up', first, '--sandbox'], { cwd: dir })).toMatchObject({ code: 0 });
    // The guest's work went to the serving process, as kubectl's would.
    const seen = await runCli(['--kubeconfig', kubeconfig, 'status', 'book-info', '-o', 'json']);
    expect((JSON.parse(seen.stdout) as Status).workflow.phase).toBe('succeeded');

    serve.kill('SIGTERM');
    expect(await stopped).toBe(0);
    const after = await runCli(['status', 'book-info', '--sandbox', '-o', 'json'], { cwd: dir });
    expect((JSON.parse(after.stdout) as Status).workflow.phase).toBe('succeeded');
  });
});
