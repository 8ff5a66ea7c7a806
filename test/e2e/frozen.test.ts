import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { binPath, kubevelaExamples, runCli } from '../helpers/cli.js';

// --timeout bounds the whole command: with the API server frozen (SIGSTOP: connections accepted by
// the kernel, never answered), `up --timeout 5s` ends by itself, saying the cluster stopped
// answering, instead of waiting out socket timeouts and a minute of retries.

describe('a frozen API server', () => {
  it('GIVEN the server stops answering WHEN up --timeout 5s THEN it exits 1 by itself, well before the 25 s it is given, saying so', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vela-ts-frozen-'));
    const kubeconfig = path.join(dir, 'kc.yaml');
    const server = spawn(
      process.execPath,
      [binPath, 'sandbox', 'serve', '--kubeconfig', kubeconfig, '--ready-delay', '10'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        let out = '';
        server.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('kubeconfig: ')) resolve();
        });
        server.on('exit', () => reject(new Error('sandbox serve exited early')));
      });
      const first = await runCli(
        ['--kubeconfig', kubeconfig, 'up', path.join(kubevelaExamples, 'first-deploy.yaml')],
        { cwd: dir },
      );
      expect(first.code).toBe(0);
      server.kill('SIGSTOP');
      // Killed (code 128) only if it were still running after 25 s.
      const res = await runCli(
        ['--kubeconfig', kubeconfig, 'up', path.join(kubevelaExamples, 'rollout-v2.yaml'), '--timeout', '5s'],
        { cwd: dir, timeoutMs: 25_000 },
      );
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(/stopped answering/);
    } finally {
      server.kill('SIGCONT');
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    }
  });
});
