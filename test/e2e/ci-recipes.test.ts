import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { parse } from 'yaml';
import { buildProgram } from '../../src/cli/main.js';
import { processIO } from '../../src/cli/io.js';
import { binPath, repoRoot, runProcess } from '../helpers/cli.js';
import { SandboxCluster } from '../helpers/sandbox-cluster.js';

// The CI recipes of examples/ci/: the shell script is run as a GitLab or Jenkins job would run it,
// against the sandbox; the GitHub Actions file is read as data and its vela-ts lines checked
// against the program's own commands and flags.

const recipe = path.join(repoRoot, 'examples/ci/canary.sh');
const example = (name: string) => path.join(repoRoot, 'examples/bookinfo', name);

/** The recipe as a CI job runs it; `out` is all it printed (the tests look for lines, not their order). */
async function canarySh(c: SandboxCluster, args: string[]): Promise<{ code: number; out: string }> {
  const res = await runProcess('sh', [recipe, ...args], {
    cwd: c.dir,
    env: {
      NO_COLOR: '1',
      VELA_TS: `${process.execPath} ${binPath}`,
      VELA_TS_FLAGS: `--kubeconfig ${c.kubeconfig}`,
    },
  });
  return { code: res.code, out: res.stdout + res.stderr };
}

describe('examples/ci/canary.sh against the sandbox', () => {
  let c: SandboxCluster;
  beforeEach(async () => {
    c = await new SandboxCluster().start();
  });
  afterEach(() => c.stop());

  it('GIVEN a passing check WHEN the canary is released THEN the check ran at 90/10 and the job ends 0 with reviews-v2 at 100%', async () => {
    expect(await canarySh(c, [example('first-deploy.yaml'), 'book-info', 'true'])).toMatchObject({
      code: 0,
      out: expect.stringContaining('book-info: released'),
    });
    const seen = c.file('seen', '');
    // The check records the routes it was asked to judge.
    const check = `${process.execPath} -e "require('fs').appendFileSync('${seen}', 'checked\\n')"`;
    const res = await canarySh(c, [example('rollout-v2.yaml'), 'book-info', 'sh', '-c', check]);
    expect(res).toMatchObject({ code: 0, out: expect.stringContaining('book-info: released') });
    expect(res.out).toContain('check passed; continuing the rollout');
    expect(readFileSync(seen, 'utf8')).toBe('checked\n');
    expect(await c.routes('reviews')).toEqual([['reviews-v2', 100]]);
    expect((await c.deployments())['reviews-v2']).toBe('2/2');
  });

  it('GIVEN a failing check THEN the canary is rolled back, reviews-v1 serves 100% at full size, exit 1', async () => {
    expect((await canarySh(c, [example('first-deploy.yaml'), 'book-info', 'true'])).code).toBe(0);
    const res = await canarySh(c, [example('rollout-v2.yaml'), 'book-info', 'false']);
    expect(res.code).toBe(1);
    expect(res.out).toContain('book-info: check failed; rolling back');
    expect(await c.routes('reviews')).toEqual([['reviews-v1', 100]]);
    expect(await c.deployments()).toMatchObject({ 'reviews-v1': '2/2' });
    expect((await c.deployments())['reviews-v2']).toBeUndefined();
  });

  it('GIVEN an invalid file THEN exit 2 and the check never runs', async () => {
    const bad = path.join(repoRoot, 'test/fixtures/kubevela/rollback-invalid-since-v1.2.yaml');
    const res = await canarySh(c, [bad, 'book-info', 'sh', '-c', 'echo CHECK-RAN']);
    expect(res.code).toBe(2);
    expect(res.out).not.toContain('CHECK-RAN');
  });
});

describe('examples/ci/github-actions.yaml', () => {
  const workflow = parse(readFileSync(path.join(repoRoot, 'examples/ci/github-actions.yaml'), 'utf8')) as {
    jobs: Record<string, { steps: { name?: string; id?: string; run?: string; if?: string }[] }>;
  };
  const steps = Object.values(workflow.jobs).flatMap((j) => j.steps);
  const velaLines = steps.flatMap((s) => (s.run ?? '').split('\n')).filter((l) => l.startsWith('vela-ts '));
  const program = buildProgram(processIO(), () => undefined);
  const help = program.createHelp();
  const flagsOf = (cmd: Command) => help.visibleOptions(cmd).flatMap((o) => [o.long, o.short]);

  it('GIVEN its steps THEN they deploy, wait, check, then promote, and roll back only when the check failed', () => {
    const order = [
      'vela-ts up ',
      'vela-ts status "$APP" --watch',
      'smoke-test',
      'vela-ts workflow resume',
      'vela-ts rollback',
    ];
    const at = order.map((s) => steps.findIndex((st) => st.run?.includes(s)));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    const check = steps[at[2]!]!;
    expect(steps[at[4]!]!.if).toBe(`failure() && steps.${check.id}.outcome == 'failure'`);
  });

  it.each(velaLines)('GIVEN `%s` THEN its command and every flag exist in vela-ts', (line) => {
    const words = line
      .replace(/\s*\|\|.*$/, '')
      .split(/\s+/)
      .slice(1);
    let cmd: Command = program;
    for (
      let sub = cmd.commands.find((c) => c.name() === words[0]);
      sub;
      sub = cmd.commands.find((c) => c.name() === words[0])
    ) {
      cmd = sub;
      words.shift();
    }
    expect(cmd).not.toBe(program);
    const known = new Set([...flagsOf(cmd), ...flagsOf(program)]);
    expect(words.filter((w) => w.startsWith('-') && !known.has(w))).toEqual([]);
  });
});
