/**
 * One sandbox per state file: the first process owns it, later ones are guests of the owner, and
 * the owner gives the file up only after every guest has gone, however it went.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { claimFile, shareSandbox, type Guest, type Owner } from '../../src/cluster/sandbox-share.js';
import { ClusterError } from '../../src/errors.js';

const folder = () => mkdtempSync(path.join(os.tmpdir(), 'vela-ts-share-'));
const first = { pid: 1001, started: 'a' };
const second = { pid: 1002, started: 'b' };
const everyoneAlive = () => true;

async function ownerOf(dir: string): Promise<Owner> {
  const state = path.join(dir, 'state.json');
  const o = await shareSandbox(state, { me: first, alive: everyoneAlive });
  if (o.role !== 'owner') throw new Error('expected to own');
  writeFileSync(path.join(dir, 'kubeconfig'), 'the owner kubeconfig');
  await o.serving(path.join(dir, 'kubeconfig'));
  return o;
}

describe('shareSandbox', () => {
  it('GIVEN no claim THEN the first process owns the state file, and its claim is private', async () => {
    const dir = folder();
    const o = await ownerOf(dir);
    const file = claimFile(path.join(dir, 'state.json'));
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ pid: 1001, started: 'a' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    await o.drain();
    await o.release();
    expect(existsSync(file)).toBe(false);
  });

  it("GIVEN an owner that serves THEN a second process is its guest with the owner's kubeconfig, and the owner waits for it before giving the file up", async () => {
    const dir = folder();
    const o = await ownerOf(dir);
    const g = (await shareSandbox(path.join(dir, 'state.json'), {
      me: second,
      alive: everyoneAlive,
    })) as Guest;
    expect(g).toMatchObject({ role: 'guest', kubeconfig: 'the owner kubeconfig', owner: 1001 });

    const notices: string[] = [];
    let drained = false;
    const draining = o.drain({ notice: (l) => notices.push(l) }).then(() => (drained = true));
    expect(notices).toEqual([
      'the sandbox stays up while another vela-ts command uses it; this one ends when they do (Ctrl-C stops it, and them)',
    ]);
    expect(drained).toBe(false);
    await g.release();
    await draining;
    await o.release();
    expect(existsSync(claimFile(path.join(dir, 'state.json')))).toBe(false);
  });

  it('GIVEN a guest killed with SIGKILL THEN the owner learns it from the closed connection and stops waiting', async () => {
    const dir = folder();
    const o = await ownerOf(dir);
    // A guest in another process, speaking the protocol by hand: the claim's key to its port.
    const claim = claimFile(path.join(dir, 'state.json'));
    const child = spawn(
      process.execPath,
      [
        '-e',
        `const c = JSON.parse(require('fs').readFileSync(${JSON.stringify(claim)}, 'utf8'));
         const s = require('net').connect(c.presence, '127.0.0.1', () => s.write(c.key + '\\n'));
         s.on('data', (d) => { if (String(d) === 'ok\\n') console.log('joined'); });`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (d: Buffer) => d.toString().includes('joined') && resolve()),
    );
    const notices: string[] = [];
    const draining = o.drain({ notice: (l) => notices.push(l) });
    expect(notices).toHaveLength(1);
    child.kill('SIGKILL');
    await draining;
    await o.release();
  });

  it('GIVEN a claim whose owner has died THEN it is taken over', async () => {
    const dir = folder();
    const state = path.join(dir, 'state.json');
    writeFileSync(claimFile(state), JSON.stringify({ pid: 999, started: 'gone' }));
    const o = await shareSandbox(state, { me: second, alive: (pid) => pid !== 999 });
    expect(o.role).toBe('owner');
    expect(JSON.parse(readFileSync(claimFile(state), 'utf8'))).toMatchObject({ pid: 1002 });
    await o.release();
  });

  it("GIVEN a key that is not the claim's THEN the connection is refused, and a guest that gets no welcome waits for the file", async () => {
    const dir = folder();
    const o = await ownerOf(dir);
    const claim = JSON.parse(readFileSync(claimFile(path.join(dir, 'state.json')), 'utf8')) as {
      presence: number;
    };
    const closed = await new Promise<string>((resolve) => {
      const s = net.connect(claim.presence, '127.0.0.1', () => s.write('not-the-key\n'));
      let got = '';
      s.on('data', (d) => (got += String(d)));
      s.on('close', () => resolve(got));
    });
    expect(closed).toBe('');
    // The owner is on its way out (takes no guest); a newcomer becomes owner once it has gone.
    await o.drain();
    const next = shareSandbox(path.join(dir, 'state.json'), { me: second, alive: everyoneAlive });
    await o.release();
    expect((await next).role).toBe('owner');
    await (await next).release();
  });

  it('GIVEN sandbox serve (owner only) and a file another process serves THEN refused, naming it', async () => {
    const dir = folder();
    const o = await ownerOf(dir);
    const refused = shareSandbox(path.join(dir, 'state.json'), {
      me: second,
      alive: everyoneAlive,
      ownerOnly: true,
    });
    await expect(refused).rejects.toThrow(ClusterError);
    await expect(refused).rejects.toThrow(
      `vela-ts (pid 1001) already serves the sandbox state ${path.join(dir, 'state.json')}; stop it first, or point kubectl at its kubeconfig ${path.join(dir, 'kubeconfig')}`,
    );
    await o.release();
  });
});
