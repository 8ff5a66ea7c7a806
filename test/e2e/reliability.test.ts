import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { binPath, kubevelaExamples, repoRoot, runCli } from '../helpers/cli.js';
import { SandboxCluster, type Obj } from '../helpers/sandbox-cluster.js';

const first = path.join(kubevelaExamples, 'first-deploy.yaml');
const rollout = path.join(kubevelaExamples, 'rollout-v2.yaml');

/**
 * Starts `up FILE` and kills it with SIGKILL mid-step: once the new revision has been scaled up,
 * while the sandbox holds its pods unready. The workflow is left `running` with no driver; pods
 * stay held until the caller lets them go (`holdReadiness(false)`).
 */
async function killMidStep(c: SandboxCluster, file: string): Promise<void> {
  c.sandbox.holdReadiness(true);
  const child = spawn(process.execPath, [binPath, '--kubeconfig', c.kubeconfig, 'up', file], {
    cwd: c.dir,
    stdio: 'ignore',
  });
  await c.auditEntry(
    'reviews-v2 to be created',
    (r) => r.method === 'PATCH' && r.path.includes('/deployments/reviews-v2'),
  );
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
}

describe('one driver at a time, and a killed driver is continued', () => {
  let c: SandboxCluster;
  beforeEach(async () => {
    c = await new SandboxCluster().start();
    expect(await c.vela(['up', first])).toMatchObject({ code: 0 });
  });
  afterEach(() => c.stop());

  it('GIVEN two simultaneous ups THEN one refuses, naming the holder, while the other is still driving; the other reaches the gate', async () => {
    // Pods are held unready: the driver that wins stays mid-step until the loser has answered.
    c.sandbox.holdReadiness(true);
    const a = c.vela(['up', rollout]);
    const b = c.vela(['up', rollout]);
    const loser = await Promise.race([a, b]);
    expect(loser).toMatchObject({ code: 1 });
    expect(loser.stderr).toMatch(/book-info is being driven by \S+@\S+\/\d+/);
    c.sandbox.holdReadiness(false);
    const [ra, rb] = await Promise.all([a, b]);
    const winner = ra === loser ? rb : ra;
    expect(winner).toMatchObject({ code: 0 });
    const s = JSON.parse((await c.vela(['status', '-o', 'json'])).stdout) as { workflow: { phase: string } };
    expect(s.workflow.phase).toBe('suspended');
  });

  it('GIVEN an up killed with SIGKILL mid-step WHEN workflow resume runs THEN it continues to the gate, and a second resume finishes', async () => {
    await killMidStep(c, rollout);
    const state = await c.get('', 'configmaps', 'vela-ts-book-info');
    expect(state?.data?.phase).toBe('running');
    c.sandbox.holdReadiness(false);

    const resumed = await c.vela(['workflow', 'resume', 'book-info']);
    expect(resumed).toMatchObject({ code: 0 });
    expect(await c.routes('reviews')).toEqual([
      ['reviews-v1', 90],
      ['reviews-v2', 10],
    ]);
    const done = await c.vela(['workflow', 'resume', 'book-info']);
    expect(done).toMatchObject({ code: 0 });
    expect(await c.routes('reviews')).toEqual([['reviews-v2', 100]]);
    expect((await c.deployments())['reviews-v2']).toBe('2/2');
  });

  it('GIVEN an up killed mid-step WHEN the same up is run again THEN it continues where it stopped (rerunning is safe)', async () => {
    await killMidStep(c, rollout);
    c.sandbox.holdReadiness(false);
    const again = await c.vela(['up', rollout]);
    expect(again).toMatchObject({ code: 0 });
    expect(again.stdout).toContain('suspended at step manual-approval');
    const d = await c.deployments();
    expect([d['reviews-v1'], d['reviews-v2']]).toEqual(['1/1', '1/1']);
  });
});

describe('the approval prompt on a terminal', () => {
  let c: SandboxCluster;
  beforeEach(async () => {
    c = await new SandboxCluster().start();
    expect(await c.vela(['up', first])).toMatchObject({ code: 0 });
  });
  afterEach(() => c.stop());

  // Asynchronous: the sandbox serves from this very process, so blocking it would deadlock.
  const drive = (answer: string) =>
    new Promise<{ status: number | null; stdout: string }>((resolve, reject) => {
      const script = path.join(repoRoot, 'test/helpers/pty-drive.py');
      const prompt = 'leave it suspended and quit (q) [q]:';
      const child = spawn(
        'python3',
        [
          script,
          prompt,
          answer,
          '--',
          process.execPath,
          binPath,
          '--kubeconfig',
          c.kubeconfig,
          'up',
          rollout,
        ],
        {
          cwd: c.dir,
          env: { ...process.env, NO_COLOR: '1' },
        },
      );
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.on('error', reject);
      child.on('close', (status) => resolve({ status, stdout }));
    });

  it('GIVEN a terminal THEN the prompt shows 90/10 and `c` finishes the release', async () => {
    const res = await drive('c');
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/reviews\s+reviews-v1\s+1\/1\s+90%/);
    expect(res.stdout).toMatch(/reviews\s+reviews-v2\s+1\/1\s+10%/);
    expect(res.stdout).toContain('book-info: workflow succeeded.');
  });

  it('GIVEN a terminal WHEN the answer is Enter THEN it stays suspended and says how to continue', async () => {
    const res = await drive('');
    expect(res.status).toBe(0);
    expect(res.stdout).toContain('Left suspended. Continue with: vela-ts workflow resume book-info');
    expect((await c.get('', 'configmaps', 'vela-ts-book-info'))?.data?.phase).toBe('suspended');
  });

  it('GIVEN a release left at its gate by CI WHEN the same up is run on a terminal THEN it asks again, and `c` finishes it', async () => {
    expect(await c.vela(['up', rollout])).toMatchObject({ code: 0 });
    const res = await drive('c');
    expect(res.status).toBe(0);
    expect(res.stdout).toContain('book-info is unchanged and its workflow is suspended');
    expect(res.stdout).toMatch(/reviews\s+reviews-v2\s+1\/1\s+10%/);
    expect(res.stdout).toContain('book-info: workflow succeeded.');
    expect(await c.routes('reviews')).toEqual([['reviews-v2', 100]]);
  });

  it('GIVEN a terminal WHEN the answer is r THEN everything goes back to reviews-v1', async () => {
    const res = await drive('r');
    expect(res.status).toBe(0);
    expect(await c.routes('reviews')).toEqual([['reviews-v1', 100]]);
    expect((await c.deployments())['reviews-v1']).toBe('2/2');
  });
});

describe('a step that cannot finish', () => {
  let c: SandboxCluster;
  beforeEach(async () => {
    c = await new SandboxCluster().start();
    expect(await c.vela(['up', first])).toMatchObject({ code: 0 });
  });
  afterEach(() => c.stop());

  it('GIVEN an up waiting on pods that never become ready WHEN someone terminates the workflow THEN the up stops at once and a rollback can run', async () => {
    const broken = c.file(
      'broken.yaml',
      readFileSync(rollout, 'utf8').replace(
        'examples-bookinfo-reviews-v3:1.16.2',
        'examples-bookinfo-reviews-never-ready:1',
      ),
    );
    // Were the waiting up to hold on until its 10m timeout, it would outlive this 60 s guard.
    const waiting = c.vela(['up', broken, '--timeout', '10m'], { timeoutMs: 60_000 });
    await c.auditEntry(
      'the canary to be created',
      (r) => r.method === 'PATCH' && r.path.includes('/deployments/reviews-v2'),
    );
    expect(await c.vela(['workflow', 'terminate', 'book-info'])).toMatchObject({ code: 0 });
    const res = await waiting;
    // Terminated is not where this up was asked to bring the workflow: 1, never read as a release.
    expect(res).toMatchObject({ code: 1 });
    expect(res.stdout).toContain('another command changed the workflow while this one drove it');
    expect(await c.vela(['rollback', 'book-info'])).toMatchObject({ code: 0 });
    expect(await c.routes('reviews')).toEqual([['reviews-v1', 100]]);
    expect((await c.deployments())['reviews-v2']).toBeUndefined();
  });

  it('GIVEN pods that never become ready THEN the step fails after --timeout, names the pods, and traffic stays on the ready revision', async () => {
    const broken = c.file(
      'broken.yaml',
      (await import('node:fs'))
        .readFileSync(rollout, 'utf8')
        .replace('examples-bookinfo-reviews-v3:1.16.2', 'examples-bookinfo-reviews-never-ready:1'),
    );
    const res = await c.vela(['up', broken, '--timeout', '2s']);
    expect(res).toMatchObject({ code: 1 });
    expect(res.stderr).toContain('step rollout-1st-batch');
    expect(res.stderr).toMatch(/Deployment reviews-v2: 0\/1 ready \(0 of 1 updated replicas available\)/);
    expect(res.stderr).toMatch(/pod reviews-v2-\S+/);
    expect(res.stderr).not.toMatch(/\n\s+at /);
    // All traffic was pinned to the ready revision before the canary got its first pod.
    expect(await c.routes('reviews')).toEqual([['reviews-v1', 100]]);
    const s = JSON.parse((await c.vela(['status', '-o', 'json'])).stdout) as {
      workflow: { phase: string; steps: { phase: string }[] };
    };
    expect(s.workflow.phase).toBe('failed');
    expect(s.workflow.steps.map((x) => x.phase)).toEqual(['failed', 'skipped', 'skipped']);
  });
});

describe('a canary that will never be ready', () => {
  let c: SandboxCluster;
  let broken: string;
  beforeEach(async () => {
    c = await new SandboxCluster().start();
    expect(await c.vela(['up', first])).toMatchObject({ code: 0 });
    broken = c.file(
      'broken.yaml',
      readFileSync(rollout, 'utf8').replace(
        'examples-bookinfo-reviews-v3:1.16.2',
        'examples-bookinfo-reviews-never-ready:1',
      ),
    );
    expect(await c.vela(['up', broken, '--timeout', '2s'])).toMatchObject({ code: 1 });
  });
  afterEach(() => c.stop());

  it('GIVEN the failed canary WHEN rolled back THEN reviews-v1 is whole again and the broken revision is gone', async () => {
    const res = await c.vela(['rollback', 'book-info', '--timeout', '20s']);
    expect(res).toMatchObject({ code: 0 });
    const d = await c.deployments();
    expect(d['reviews-v1']).toBe('2/2');
    expect(d['reviews-v2']).toBeUndefined();
    expect(await c.routes('reviews')).toEqual([['reviews-v1', 100]]);
  });

  it('GIVEN the failed canary WHEN a fixed spec is applied THEN the broken revision is cleared away and the fix rolls out', async () => {
    // The fix is the third revision; its weights must say so.
    const fixed = c.file(
      'fixed.yaml',
      readFileSync(rollout, 'utf8').replaceAll('revision: reviews-v2', 'revision: reviews-v3'),
    );
    const res = await c.vela(['up', fixed, '--timeout', '20s']);
    expect(res).toMatchObject({ code: 0 });
    expect(res.stdout).toContain('suspended at step manual-approval');
    const d = await c.deployments();
    expect(d['reviews-v2']).toBeUndefined();
    expect([d['reviews-v1'], d['reviews-v3']]).toEqual(['1/1', '1/1']);
  });
});

describe('a timed pause', () => {
  let c: SandboxCluster;
  beforeEach(async () => {
    c = await new SandboxCluster().start();
    expect(await c.vela(['up', first])).toMatchObject({ code: 0 });
  });
  afterEach(() => c.stop());

  it('GIVEN up waiting out a 10m soak WHEN someone runs workflow suspend THEN the waiting up stops at once and leaves it to them', async () => {
    const soak = c.file(
      'soak.yaml',
      readFileSync(rollout, 'utf8').replace(
        '- name: manual-approval\n        type: suspend\n',
        '- name: manual-approval\n        type: suspend\n        properties:\n          duration: 10m\n',
      ),
    );
    expect(readFileSync(soak, 'utf8')).toContain('duration: 10m');
    // Were the waiting up to sleep through the edit, it would outlive this 60 s guard.
    const waiting = c.vela(['up', soak], { timeoutMs: 60_000 });
    await c.until(
      'the soak to start',
      '',
      'configmaps',
      (cm) => cm.metadata.name === 'vela-ts-book-info' && cm.data?.phase === 'suspended',
    );
    expect(await c.vela(['workflow', 'suspend', 'book-info'])).toMatchObject({ code: 0 });
    const res = await waiting;
    // Suspended by a person during its soak: it now waits at that step for approval, a gate: 0.
    expect(res).toMatchObject({ code: 0 });
    expect(res.stdout).toContain('another command changed the workflow while this one drove it');
    const cm = await c.get('', 'configmaps', 'vela-ts-book-info');
    const state = JSON.parse(cm!.data!['state.json']!) as { workflow: { phase: string; resumeAt?: string } };
    expect(state.workflow).toMatchObject({ phase: 'suspended' });
    expect(state.workflow.resumeAt).toBeUndefined();
  });
});

describe('plain words for cluster problems', () => {
  it('GIVEN an unreachable server THEN exit 1 with a sentence, no stack, no token', async () => {
    const c = await new SandboxCluster().start();
    const token = c.sandbox.token;
    await c.stop();
    const res = await runCli(['--kubeconfig', c.kubeconfig, 'up', first]);
    expect(res).toMatchObject({ code: 1 });
    expect(res.stderr).toMatch(/cannot reach|connection refused/i);
    expect(res.stderr).not.toContain(token);
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('status --watch', () => {
  let c: SandboxCluster;
  beforeEach(async () => {
    c = await new SandboxCluster().start();
    expect(await c.vela(['up', first])).toMatchObject({ code: 0 });
    // A driver killed mid-step leaves the workflow `running` with nobody driving it.
    await killMidStep(c, rollout);
  });
  afterEach(() => c.stop());

  it('GIVEN a running workflow nobody drives THEN it says so and how to continue, instead of waiting forever', async () => {
    const watched = await c.vela(['status', '--watch'], { timeoutMs: 30_000 });
    expect(watched).toMatchObject({ code: 1 });
    // Both hints repeat the --kubeconfig of the command, so they reach the same cluster when pasted.
    const resume = `vela-ts workflow resume book-info -n default --kubeconfig ${c.kubeconfig}`;
    expect(watched.stdout).toContain(`Driver:    nobody (interrupted): continue with \`${resume}\``);
    expect(watched.stderr).toContain(
      `book-info: the workflow is running but nobody drives it (the run was interrupted); continue it with \`${resume}\``,
    );
  });

  it('GIVEN the hint of status --watch WHEN it is run as printed THEN it continues the workflow to the gate', async () => {
    const watched = await c.vela(['status', '--watch'], { timeoutMs: 30_000 });
    const hint = /continue it with `vela-ts ([^`]+)`/.exec(watched.stderr)?.[1];
    expect(hint).toBeDefined();
    c.sandbox.holdReadiness(false);
    // runCli, not c.vela: the cluster must be reached through the flags of the hint alone.
    const resumed = await runCli(hint!.split(' '), { cwd: c.dir });
    expect(resumed).toMatchObject({ code: 0 });
    expect(await c.routes('reviews')).toEqual([
      ['reviews-v1', 90],
      ['reviews-v2', 10],
    ]);
  });

  it('GIVEN a driven workflow THEN it follows each move and returns once the workflow is suspended', async () => {
    const holder = (lease: Obj | undefined) =>
      (lease?.spec as { holderIdentity?: string } | undefined)?.holderIdentity;
    const killed = holder(await c.get('coordination.k8s.io/v1', 'leases', 'vela-ts-book-info'));
    // The resumed run stays mid-step (pods still held unready) until the watcher has seen it running.
    const driving = c.vela(['workflow', 'resume', 'book-info']);
    // The killed run's name stays on the lease until the resumed run takes it over.
    await c.until('the resumed run to hold the lease', 'coordination.k8s.io/v1', 'leases', (lease) => {
      const now = holder(lease);
      return lease.metadata.name === 'vela-ts-book-info' && Boolean(now) && now !== killed;
    });
    let seenFirst!: () => void;
    const firstReport = new Promise<void>((r) => (seenFirst = r));
    const watching = c.vela(['status', '--watch', '-o', 'json'], {
      timeoutMs: 60_000,
      onStdout: (soFar) => {
        if (soFar.trimEnd().endsWith('}')) seenFirst();
      },
    });
    await Promise.race([firstReport, watching]);
    c.sandbox.holdReadiness(false);
    const watched = await watching;
    expect(watched).toEqual({ code: 0, stdout: expect.any(String) as string, stderr: '' });
    const reports = watched.stdout
      .split('---\n')
      .map((r) => JSON.parse(r) as { driver?: string; workflow: { phase: string } });
    expect(reports.length).toBeGreaterThan(1);
    expect(reports[0]!.workflow.phase).toBe('running');
    expect(reports[0]!.driver).toMatch(/@.+\/\d+$/);
    expect(reports.at(-1)!.workflow.phase).toBe('suspended');
    expect(await driving).toMatchObject({ code: 0 });
  });
});
