import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { kubevelaExamples, runCli } from '../helpers/cli.js';

// The habits people bring from kubectl, vela and argo: -f FILE, - for standard input, global flags
// and examples in every command's --help.

const first = path.join(kubevelaExamples, 'first-deploy.yaml');

describe('command-line conventions', () => {
  it('GIVEN render - WHEN the file comes on standard input THEN the same objects as from the file', async () => {
    const fromFile = await runCli(['render', first]);
    const fromStdin = await runCli(['render', '-'], { input: readFileSync(first, 'utf8') });
    const withFlag = await runCli(['render', '-f', first]);
    expect(fromStdin).toEqual(fromFile);
    expect(withFlag).toEqual(fromFile);
    expect(fromFile.code).toBe(0);
  });

  it('GIVEN invalid YAML on standard input THEN it is located as <stdin>, exit 2', async () => {
    const res = await runCli(['render', '-'], { input: 'apiVersion: core.oam.dev/v1beta1\nkind: [\n' });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/^<stdin>:\d+:\d+: /);
  });

  it('GIVEN up -f FILE on the sandbox THEN it deploys as up FILE does; GIVEN two files or none THEN exit 2', async () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'vela-ts-conv-'));
    const res = await runCli(['up', '-f', first, '--sandbox'], {
      cwd,
      env: { VELA_TS_SANDBOX_READY_DELAY_MS: '10' },
    });
    expect(res).toMatchObject({ code: 0, stdout: expect.stringContaining('book-info: workflow succeeded.') });
    expect(await runCli(['up', first, '-f', 'other.yaml'], { cwd })).toMatchObject({
      code: 2,
      stderr: `error: two files given (${first} and -f other.yaml); give one\n`,
    });
    expect(await runCli(['plan'], { cwd })).toMatchObject({
      code: 2,
      stderr: 'error: no application file given: name it, or use -f FILE (- for standard input)\n',
    });
  });

  it.each(['up', 'render', 'plan', 'diff', 'status', 'rollback', 'workflow resume'])(
    'GIVEN %s --help THEN it lists the global flags and ends with examples',
    async (command) => {
      const res = await runCli([...command.split(' '), '--help']);
      expect(res.code).toBe(0);
      expect(res.stdout).toMatch(/Global Options:[\s\S]*--kubeconfig[\s\S]*--sandbox/);
      expect(res.stdout).toMatch(new RegExp(`\\nExamples:\\n  vela-ts ${command}`));
    },
  );
});
