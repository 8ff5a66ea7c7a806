/**
 * The sandbox never loses a write it has answered, and never hands out a resourceVersion twice:
 * `sandbox serve --state F` is SIGKILLed right as answers arrive, then restarted on the same state.
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { journalPath, loadState } from '../../src/sandbox/persistence.js';
import { tmpDir } from './helpers.js';
import { killLeftovers, request, serve, type Served } from './serve-process.js';

const CM = '/api/v1/namespaces/default/configmaps';

interface Answered {
  name: string;
  op: 'create' | 'patch' | 'delete';
  rv: number;
}

/**
 * Runs `chains` clients at once, each creating, patching and (every other time) deleting its own
 * ConfigMaps one write after another, and SIGKILLs the server the moment the `killAfter`th answer
 * arrives, with the other clients' writes still in flight. Returns the writes that were answered.
 */
async function writeUntilKilled(
  s: Served,
  chains: number,
  killAfter: number,
  /** Names whose DELETE was sent: one in flight at the kill may or may not have landed. */
  deleting: Set<string> = new Set(),
): Promise<Answered[]> {
  const answered: Answered[] = [];
  let killed = false;
  const record = (a: Answered) => {
    if (killed) return;
    answered.push(a);
    if (answered.length >= killAfter) {
      killed = true;
      s.child.kill('SIGKILL');
    }
  };
  // A request cut off by the kill fails to connect or is reset: it was never answered.
  const send = (...args: Parameters<typeof request> extends [Served, ...infer R] ? R : never) =>
    request(s, ...args).catch(() => undefined);
  const chain = async (c: number) => {
    for (let j = 0; !killed; j++) {
      const name = `cm-${c}-${j}`;
      const created = await send('POST', CM, { body: { metadata: { name }, data: { n: String(j) } } });
      if (!created) return;
      expect(created.status).toBe(201);
      record({ name, op: 'create', rv: Number(created.body.metadata.resourceVersion) });
      if (killed) return;
      const patched = await send('PATCH', `${CM}/${name}`, {
        body: { data: { patched: 'yes' } },
        contentType: 'application/merge-patch+json',
      });
      if (!patched) return;
      expect(patched.status).toBe(200);
      record({ name, op: 'patch', rv: Number(patched.body.metadata.resourceVersion) });
      if (killed || j % 2 === 0) continue;
      deleting.add(name);
      const deleted = await send('DELETE', `${CM}/${name}`);
      if (!deleted) return;
      expect(deleted.status).toBe(200);
      record({ name, op: 'delete', rv: Number(deleted.body.metadata?.resourceVersion ?? 0) });
    }
  };
  await Promise.all(Array.from({ length: chains }, (_, c) => chain(c)));
  return answered;
}

afterEach(killLeftovers);

test('GIVEN sandbox serve --state WHEN it is SIGKILLed right after answering writes THEN a restart on the same state has every answered write, and new resourceVersions are above every answered one', async () => {
  const dir = tmpDir();
  const kubeconfig = path.join(dir, 'kc.yaml');
  const state = path.join(dir, 'state.json');
  const first = await serve(kubeconfig, ['--state', state, '--ready-delay', '10']);
  const deleting = new Set<string>();
  const answered = await writeUntilKilled(first, 6, 90, deleting);
  expect(await first.exited).toBe('SIGKILL');
  expect(answered.length).toBe(90);

  const second = await serve(kubeconfig, ['--state', state, '--ready-delay', '10']);
  try {
    const last = new Map<string, Answered[]>();
    for (const a of answered) last.set(a.name, [...(last.get(a.name) ?? []), a]);
    const missing: string[] = [];
    for (const [name, ops] of last) {
      const got = await request(second, 'GET', `${CM}/${name}`);
      const done = new Set(ops.map((o) => o.op));
      const newest = Math.max(...ops.map((o) => o.rv));
      if (done.has('delete')) {
        if (got.status !== 404) missing.push(`${name}: answered delete, but it is back`);
        continue;
      }
      // Its delete was in flight when the server died (sent, not answered): gone or not, both are right.
      if (deleting.has(name) && got.status === 404) continue;
      if (got.status !== 200) missing.push(`${name}: answered ${[...done].join('+')}, but it is gone`);
      else {
        if (done.has('patch') && got.body.data.patched !== 'yes') missing.push(`${name}: patch lost`);
        if (Number(got.body.metadata.resourceVersion) < newest)
          missing.push(`${name}: resourceVersion ${got.body.metadata.resourceVersion} < answered ${newest}`);
      }
    }
    expect(missing).toEqual([]);

    const highest = Math.max(...answered.map((a) => a.rv));
    const list = await request(second, 'GET', CM);
    expect(Number(list.body.metadata.resourceVersion)).toBeGreaterThanOrEqual(highest);
    const fresh = await request(second, 'POST', CM, { body: { metadata: { name: 'after-restart' } } });
    expect(fresh.status).toBe(201);
    expect(Number(fresh.body.metadata.resourceVersion)).toBeGreaterThan(highest);
  } finally {
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }
  // A clean stop folds the journal into the snapshot.
  expect(existsSync(journalPath(state))).toBe(false);
  expect(loadState(state)!.objects.map((o) => o.object.metadata.name)).toContain('after-restart');
});

test('GIVEN a journal whose last record was cut short by a kill THEN loading keeps every whole record and drops the torn one', () => {
  const dir = tmpDir();
  const state = path.join(dir, 'state.json');
  const base = {
    kind: 'VelaTsSandboxState',
    version: 1,
    resourceVersion: 7,
    token: 't',
    tls: { caCert: '', cert: '', key: '' },
    allocations: { clusterIP: 10, nodePort: 30000 },
    objects: [{ resource: 'configmaps', object: { metadata: { name: 'old', namespace: 'default' } } }],
  };
  writeFileSync(state, JSON.stringify(base));
  const rec = (rv: number, name: string) =>
    `${JSON.stringify({
      rv,
      op: 'put',
      resource: 'configmaps',
      object: { metadata: { name, namespace: 'default', resourceVersion: String(rv) } },
      allocations: { clusterIP: 11, nodePort: 30000 },
    })}\n`;
  // rv 7 was already folded into the snapshot (a kill between the snapshot's rename and the
  // journal's truncation): it is skipped, not applied twice.
  appendFileSync(journalPath(state), rec(7, 'folded'));
  appendFileSync(journalPath(state), rec(8, 'kept'));
  appendFileSync(journalPath(state), `{"rv":9,"op":"delete","resource":"configmaps","name":"kep`);

  const loaded = loadState(state)!;
  expect(loaded.resourceVersion).toBe(8);
  expect(loaded.allocations).toEqual({ clusterIP: 11, nodePort: 30000 });
  expect(loaded.objects.map((o) => o.object.metadata.name)).toEqual(['kept', 'old']);
  expect(readFileSync(journalPath(state), 'utf8')).toContain('"kep');
});
