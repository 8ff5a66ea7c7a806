import { runCli } from '../helpers/cli.js';

describe('vela-ts --help', () => {
  it('lists the commands and exits 0', async () => {
    const res = await runCli(['--help']);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('render');
    expect(res.stdout).toContain('plan');
  });

  it('rejects an unknown command with exit code 2', async () => {
    const res = await runCli(['bogus']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("unknown command 'bogus'");
  });
});
