import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { binPath, kubevelaExamples, repoRoot } from '../helpers/cli.js';
import { SandboxCluster, type Obj } from '../helpers/sandbox-cluster.js';

const first = path.join(kubevelaExamples, 'first-deploy.yaml');
const release = readFileSync(path.join(repoRoot, 'examples/bookinfo/release.yaml'), 'utf8');
/** The release with its approval turned into a 3 s soak. */
const soaked = release.replace(
  '      - name: manual-approval\n        type: suspend\n',
  '      - name: manual-approval\n        type: suspend\n        properties:\n          duration: 3s\n',
);

const phaseOf = (cm: Obj) => cm.data?.phase;
const stateIs = (c: SandboxCluster, what: string, pred: (cm: Obj) => boolean) =>
  c.until(what, '', 'configmaps', (cm) => cm.metadata.name === 'vela-ts-book-info' && pred(cm));

interface Report {
  workflow: { phase: string; resumeAt?: string };
}

describe('status --watch, a wait that follows the workflow', () => {
  let c: SandboxCluster;
  beforeEach(async () => {
    c = await new SandboxCluster().start();
    expect(await c.vela(['up', first])).toMatchObject({ code: 0 });
  });
  afterEach(() => c.stop());

  it('GIVEN a timed soak THEN it returns only once the workflow has moved on to its end', async () => {
    expect(soaked).not.toBe(release);
    const driving = c.vela(['up', c.file('soaked.yaml', soaked)]);
    await stateIs(c, 'the soak', (cm) => phaseOf(cm) === 'suspended');
    const watched = await c.vela(['status', '--watch', '-o', 'json'], { timeoutMs: 60_000 });
    expect(watched.code).toBe(0);
    const reports = watched.stdout.split('---\n').map((r) => JSON.parse(r) as Report);
    expect(reports[0]?.workflow).toMatchObject({ phase: 'suspended', resumeAt: expect.any(String) });
    expect(reports.at(-1)?.workflow.phase).toBe('succeeded');
    expect(await driving).toMatchObject({ code: 0 });
  });

  it('GIVEN a pipe THEN the first report is the table and each change is one line', async () => {
    c.sandbox.holdReadiness(true);
    const driving = c.vela(['up', c.file('release.yaml', release), '--no-prompt']);
    await stateIs(c, 'the rollout to run', (cm) => phaseOf(cm) === 'running');
    // Released once the watcher has shown its first report: it compares every change with what
    // it read, so none is lost between its read and its watch.
    const watching = c.vela(['status', '--watch'], {
      timeoutMs: 60_000,
      onStdout: (soFar) => {
        if (soFar.includes('STEP')) c.sandbox.holdReadiness(false);
      },
    });
    const watched = await watching;
    expect(watched.code).toBe(0);
    const [table, ...lines] = watched.stdout.split(/\n(?=\d{4}-\d\d-\d\dT)/);
    expect(table).toContain('STEP');
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l.trimEnd().split('\n')).toHaveLength(1);
    expect(lines.at(-1)).toMatch(
      /Z suspended step 2\/3 manual-approval \| reviews: reviews-v1 1\/1 90%, reviews-v2 1\/1 10%\n$/,
    );
    expect(await driving).toMatchObject({ code: 0 });
  });

  it('GIVEN a terminal THEN it redraws in place with a clock and traffic bars, and ends at the gate', async () => {
    c.sandbox.holdReadiness(true);
    const driving = c.vela(['up', c.file('release.yaml', release), '--no-prompt']);
    await stateIs(c, 'the rollout to run', (cm) => phaseOf(cm) === 'running');
    const script = path.join(repoRoot, 'test/helpers/pty-script.py');
    const shown = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
      const child = spawn(
        'python3',
        [
          script,
          'expect:Watching book-info',
          'say:DRAWN',
          '--',
          process.execPath,
          binPath,
          '--kubeconfig',
          c.kubeconfig,
          'status',
          '--watch',
        ],
        { cwd: c.dir, env: { ...process.env, NO_COLOR: '1' } },
      );
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => {
        if (d.toString().includes('DRAWN')) c.sandbox.holdReadiness(false);
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, out }));
    });
    expect(shown.code).toBe(0);
    // Redrawn by moving the cursor up over the last drawing, never by clearing the screen.
    const ESC = String.fromCharCode(27);
    expect(shown.out).toMatch(new RegExp(`${ESC}\\[\\d+A\\r${ESC}\\[J`));
    expect(shown.out).not.toContain(`${ESC}[2J`);
    expect(shown.out).toMatch(
      /Watching book-info: \d{4}-\d\d-\d\dT[\d:]+Z, for \d+s; ends at a gate or the end/,
    );
    expect(shown.out).toMatch(/reviews-v1 +1\/1 +90% #########\./);
    expect(shown.out).toMatch(/reviews-v2 +1\/1 +10% #\.{9}/);
    expect(await driving).toMatchObject({ code: 0 });
  });
});
