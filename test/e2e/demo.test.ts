import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../helpers/cli.js';

// `npm run demo` (after its build) is `node scripts/demo.js`: the README's first command on a fresh
// machine. In a pipe it must walk the whole seed unattended, in plain lines.

function demo(): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env.NO_COLOR;
    delete env.FORCE_COLOR;
    const child = spawn(process.execPath, [path.join(repoRoot, 'scripts/demo.js')], { cwd: repoRoot, env });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
    child.stdin.end();
  });
}

describe('npm run demo', () => {
  it('GIVEN a pipe and no terminal WHEN the demo runs THEN it releases reviews-v2 through 90/10, approves saying so, rolls back a second canary, exit 0, no escape codes, nothing left behind', async () => {
    const before = readdirSync(os.tmpdir()).filter((f) => f.startsWith('vela-ts-demo-'));
    const { code, out } = await demo();
    expect(code).toBe(0);
    expect(out).not.toContain('\x1b');
    // The release, in order: the canary at 90/10, the automatic approval, the full release.
    const order = [
      '$ vela-ts up examples/bookinfo/first-deploy.yaml --sandbox',
      'route 90% to reviews-v1, 10% to reviews-v2',
      '$ vela-ts status book-info --sandbox',
      'No terminal to ask on: approving automatically',
      '$ vela-ts workflow resume book-info --sandbox',
      'route 100% to reviews-v2',
      '== The rollback',
      '$ vela-ts rollback book-info --sandbox',
      'route 100% to reviews-v1',
      'rollback of reviews to reviews-v1',
      'Done.',
    ];
    let from = 0;
    const missing = order.filter((s) => {
      const i = out.indexOf(s, from);
      if (i >= 0) from = i + s.length;
      return i < 0;
    });
    expect(missing).toEqual([]);
    expect(out).toMatch(/reviews-v2 +2\/2 +100%/);
    expect(out).toMatch(/reviews-v1 +2\/2 +100%/);
    expect(readdirSync(os.tmpdir()).filter((f) => f.startsWith('vela-ts-demo-'))).toEqual(before);
  });
});
