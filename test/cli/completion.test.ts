import { spawnSync } from 'node:child_process';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/main.js';
import { processIO } from '../../src/cli/io.js';
import { binPath, kubevelaExamples, runCli, runProcess } from '../helpers/cli.js';
import { SandboxCluster } from '../helpers/sandbox-cluster.js';

/** The program `vela-ts` parses its arguments with: the truth the completion scripts must follow. */
const program = buildProgram(processIO(), () => undefined);
const help = program.createHelp();
const flagsOf = (cmd: Command): string[] =>
  help.visibleOptions(cmd).flatMap((o) => [o.long, o.short].filter((f): f is string => Boolean(f)));
/** What the program accepts after a command; --version only makes sense before one. */
const globalFlags = flagsOf(program).filter((f) => f !== '--version' && f !== '-V');
/** Every flag a command accepts: its own, those of each of its verbs, and the global ones. */
const expectedFlags = (cmd: Command): string[] =>
  [...new Set([...flagsOf(cmd), ...cmd.commands.flatMap(flagsOf), ...globalFlags])].sort();
/** The commands people type: the hidden `__complete` (what the scripts call) is not one. */
const commands = help.visibleCommands(program).filter((c) => c.name() !== 'help');
const commandNames = commands.flatMap((c) => [c.name(), ...c.aliases()]);

let bashFile: string;
beforeAll(async () => {
  const res = await runCli(['completion', 'bash']);
  expect(res.code).toBe(0);
  bashFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'vela-ts-comp-')), 'c.bash');
  writeFileSync(bashFile, res.stdout);
});

/** What bash offers for the last word of `words` (the words after `vela-ts`). */
function bashComplete(...words: string[]): string[] {
  return bashCompleteSync(...words);
}

/**
 * As bashComplete, with `env` (a PATH on which `vela-ts` answers the script's cluster questions),
 * and without blocking: the sandbox it asks runs in this process.
 */
async function bashCompleteWith(env: NodeJS.ProcessEnv, ...words: string[]): Promise<string[]> {
  const quoted = ['vela-ts', ...words].map((w) => `'${w}'`).join(' ');
  const res = await runProcess(
    'bash',
    [
      '-c',
      `source ${bashFile}; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length}; _vela_ts; printf '%s\\n' "\${COMPREPLY[@]}"`,
    ],
    { env },
  );
  expect(res.code).toBe(0);
  return res.stdout.split('\n').filter(Boolean);
}

function bashCompleteSync(...words: string[]): string[] {
  const quoted = ['vela-ts', ...words].map((w) => `'${w}'`).join(' ');
  const probe = spawnSync(
    'bash',
    [
      '-c',
      `source ${bashFile}; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length}; _vela_ts; printf '%s\\n' "\${COMPREPLY[@]}"`,
    ],
    { encoding: 'utf8' },
  );
  expect(probe.status).toBe(0);
  return probe.stdout.split('\n').filter(Boolean);
}

describe('completion', () => {
  it('GIVEN bash THEN the script loads and completes commands and workflow verbs', () => {
    expect(bashComplete('wor')).toEqual(['workflow']);
    expect(bashComplete('workflow', 're')).toEqual(['resume', 'restart']);
  });

  it('GIVEN bash and no command yet THEN every command, alias and program flag is offered', () => {
    expect(bashComplete('')).toEqual(expect.arrayContaining(commandNames));
    expect(bashComplete('-').sort()).toEqual(flagsOf(program).sort());
  });

  it.each(commandNames)('GIVEN bash and `%s -` THEN exactly the flags the program accepts there', (name) => {
    const cmd = commands.find((c) => c.name() === name || c.aliases().includes(name))!;
    expect(bashComplete(name, '-').sort()).toEqual(expectedFlags(cmd));
  });

  it('GIVEN bash and a command with verbs THEN its verbs are offered', () => {
    for (const cmd of commands.filter((c) => c.commands.length > 0)) {
      expect(bashComplete(cmd.name(), '').filter((w) => !w.startsWith('-'))).toEqual(
        cmd.commands.map((v) => v.name()),
      );
    }
  });

  it('GIVEN zsh THEN it runs the bash completion through bashcompinit', async () => {
    const [zsh, bash] = await Promise.all([runCli(['completion', 'zsh']), runCli(['completion', 'bash'])]);
    expect(zsh.code).toBe(0);
    expect(zsh.stdout).toMatch(/^#compdef vela-ts\n/);
    expect(zsh.stdout).toContain('bashcompinit');
    expect(zsh.stdout.endsWith(bash.stdout)).toBe(true);
  });

  it('GIVEN fish THEN each command offers exactly the flags the program accepts there', async () => {
    const res = await runCli(['completion', 'fish']);
    expect(res.code).toBe(0);
    // `complete -c vela-ts [-n "CONDITION"] -l LONG | -s SHORT | -a WORD`
    const entries = res.stdout
      .split('\n')
      .map((l) => /^complete -c vela-ts (?:-n "([^"]+)" )?(-l|-s) (\S+)(?: -[rx].*)?$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map(([, condition, kind, name]) => ({ condition, flag: `${kind === '-l' ? '--' : '-'}${name}` }));
    const offered = (condition: string | undefined) =>
      [
        ...new Set(
          entries.filter((e) => e.condition === undefined || e.condition === condition).map((e) => e.flag),
        ),
      ].sort();
    expect(offered('__fish_use_subcommand')).toEqual(flagsOf(program).sort());
    for (const cmd of commands) {
      for (const name of [cmd.name(), ...cmd.aliases()])
        expect({ name, flags: offered(`__fish_seen_subcommand_from ${name}`) }).toEqual({
          name,
          flags: expectedFlags(cmd),
        });
    }
  });

  it('GIVEN an unknown shell THEN exit 2', async () => {
    const res = await runCli(['completion', 'tcsh']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('choose bash, zsh or fish');
  });
});

describe('completion that knows the cluster', () => {
  let c: SandboxCluster;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    c = await new SandboxCluster().start();
    expect(await c.vela(['up', path.join(kubevelaExamples, 'first-deploy.yaml')])).toMatchObject({ code: 0 });
    // `vela-ts` on PATH, as an installed one is: the script asks it for names.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vela-ts-path-'));
    symlinkSync(binPath, path.join(dir, 'vela-ts'));
    env = { PATH: `${dir}:${process.env.PATH ?? ''}` };
  });
  afterAll(() => c.stop());

  it('GIVEN a command that takes an app THEN the apps of the cluster the line names are offered', async () => {
    expect(await bashCompleteWith(env, 'status', '--kubeconfig', c.kubeconfig, '')).toEqual(['book-info']);
    expect(await bashCompleteWith(env, 'workflow', 'resume', '--kubeconfig', c.kubeconfig, 'bo')).toEqual([
      'book-info',
    ]);
    // Once the app is given, files again (nothing more to name).
    expect(await bashCompleteWith(env, 'status', '--kubeconfig', c.kubeconfig, 'book-info', 'zz')).toEqual(
      [],
    );
  });

  it('GIVEN --component THEN the components of that app that can be rolled back', async () => {
    expect(
      await bashCompleteWith(env, 'rollback', 'book-info', '--kubeconfig', c.kubeconfig, '--component', ''),
    ).toEqual(['reviews']);
  });

  it('GIVEN -n THEN the namespaces; -o THEN its choices; --until THEN gate and done', async () => {
    expect(await bashCompleteWith(env, 'status', '--kubeconfig', c.kubeconfig, '-n', 'kube-')).toEqual([
      'kube-node-lease',
      'kube-public',
      'kube-system',
    ]);
    expect(bashComplete('status', '-o', '')).toEqual(['table', 'json', 'yaml']);
    expect(bashComplete('status', '--until', '')).toEqual(['gate', 'done']);
  });

  it('GIVEN a cluster that cannot be reached THEN nothing is offered and nothing is printed', async () => {
    const missing = path.join(c.dir, 'no-such-kubeconfig');
    expect(await bashCompleteWith(env, 'status', '--kubeconfig', missing, '')).toEqual([]);
  });
});
