import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { binPath, kubevelaExamples, repoRoot } from '../helpers/cli.js';
import { SandboxCluster } from '../helpers/sandbox-cluster.js';

// An approval applies only to the gate it was shown: a prompt left open while someone else acts
// leaves on its own, and a key pressed afterwards changes nothing. Driven through a pseudo-terminal.

const first = path.join(kubevelaExamples, 'first-deploy.yaml');
const rollout = path.join(kubevelaExamples, 'rollout-v2.yaml');
const PROMPT = 'leave it suspended and quit (q) [q]:';
const LEFT = 'the workflow changed while this prompt was open';

/**
 * `up rollout-v2.yaml` on a terminal: at the prompt it calls `whileOpen` (another terminal's
 * work), then, once the prompt has left by itself, types `key` as a person would, too late.
 */
function promptThen(c: SandboxCluster, whileOpen: () => Promise<void>, key: string) {
  return new Promise<{ status: number | null; stdout: string }>((resolve, reject) => {
    const script = path.join(repoRoot, 'test/helpers/pty-script.py');
    const child = spawn(
      'python3',
      [
        script,
        `expect:${PROMPT}`,
        'say:AT-PROMPT',
        `expect:${LEFT}`,
        `type:${key}`,
        '--',
        process.execPath,
        binPath,
        '--kubeconfig',
        c.kubeconfig,
        'up',
        rollout,
      ],
      { cwd: c.dir, env: { ...process.env, NO_COLOR: '1' } },
    );
    let stdout = '';
    let acted: Promise<void> | undefined;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      if (!acted && d.toString().includes('AT-PROMPT')) acted = whileOpen().catch(reject);
    });
    child.on('error', reject);
    child.on('close', (status) => void Promise.resolve(acted).then(() => resolve({ status, stdout })));
  });
}

describe('a prompt left open while another terminal acts', () => {
  let c: SandboxCluster;
  beforeEach(async () => {
    c = await new SandboxCluster().start();
    expect(await c.vela(['up', first])).toMatchObject({ code: 0 });
  });
  afterEach(() => c.stop());

  it('GIVEN someone resumes and finishes the release WHEN r is pressed at the old prompt afterwards THEN the prompt had left saying so, and the release stays at 100% on reviews-v2', async () => {
    const res = await promptThen(
      c,
      async () => {
        const resumed = await c.vela(['workflow', 'resume', 'book-info']);
        expect(resumed).toMatchObject({ code: 0, stdout: expect.stringContaining('workflow succeeded') });
      },
      'r',
    );
    expect(res.stdout).toMatch(
      /book-info: the workflow changed while this prompt was open: it was resumed.*Nothing was done here\./,
    );
    expect(res.status).toBe(0);
    expect(await c.routes('reviews')).toEqual([['reviews-v2', 100]]);
    expect(await c.deployments()).toMatchObject({ 'reviews-v2': '2/2' });
    expect((await c.deployments())['reviews-v1']).toBeUndefined();
  });

  it('GIVEN another terminal applies a newer image that stops at the same gate WHEN c is pressed at the old prompt THEN the unseen revision is never promoted', async () => {
    const v3 = c.file(
      'rollout-v3.yaml',
      // Another image: the third pod template, revision reviews-v3, which its weights name.
      readFileSync(rollout, 'utf8')
        .replace('examples-bookinfo-reviews-v3', 'examples-bookinfo-reviews-v1')
        .replaceAll('revision: reviews-v2', 'revision: reviews-v3'),
    );
    const res = await promptThen(
      c,
      async () => {
        const applied = await c.vela(['up', v3]);
        expect(applied).toMatchObject({
          code: 0,
          stdout: expect.stringContaining('suspended at step manual-approval'),
        });
      },
      'c',
    );
    expect(res.stdout).toMatch(/this prompt was open: a new spec was applied.*Nothing was done here\./);
    expect(res.status).toBe(0);
    // Still at the gate of the spec the other terminal applied: 90/10, nothing at 100%.
    expect(await c.routes('reviews')).toEqual([
      ['reviews-v1', 90],
      ['reviews-v3', 10],
    ]);
    const phase = JSON.parse((await c.vela(['status', 'book-info', '-o', 'json'])).stdout).workflow.phase;
    expect(phase).toBe('suspended');
  });
});
