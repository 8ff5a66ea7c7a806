import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';

describe('completion', () => {
  it('GIVEN bash THEN the script loads and completes commands and workflow verbs', async () => {
    const res = await runCli(['completion', 'bash']);
    expect(res.code).toBe(0);
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'vela-ts-comp-')), 'c.bash');
    writeFileSync(file, res.stdout);
    const probe = spawnSync(
      'bash',
      [
        '-c',
        `source ${file}; COMP_WORDS=(vela-ts wor); COMP_CWORD=1; _vela_ts; echo "\${COMPREPLY[@]}"; COMP_WORDS=(vela-ts workflow re); COMP_CWORD=2; _vela_ts; echo "\${COMPREPLY[@]}"`,
      ],
      { encoding: 'utf8' },
    );
    expect(probe.stdout.split('\n')).toEqual(['workflow', 'resume restart', '']);
  });

  it('GIVEN an unknown shell THEN exit 2', async () => {
    const res = await runCli(['completion', 'tcsh']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('choose bash, zsh or fish');
  });
});
