/**
 * protobufjs and the .proto files load with the first protobuf request body, not before: a
 * sandbox that only sees JSON (and every command that starts none) never pays for them. The built
 * sandbox (dist/) runs in a process of its own, so nothing else has loaded the library first.
 */
import path from 'node:path';
import { repoRoot, runProcess } from '../helpers/cli.js';

// `kubectl create namespace x`, as kubectl 1.32 sends it.
const NAMESPACE_X = 'azhzAAoPCgJ2MRIJTmFtZXNwYWNlEhkKEQoBeBIAGgAiACoAMgA4AEIAEgAaAgoAGgAiAA==';

const script = `
import https from 'node:https';
import { createRequire } from 'node:module';
const { startSandbox } = await import(${JSON.stringify(path.join(repoRoot, 'dist/sandbox/index.js'))});
const loaded = () =>
  Object.keys(createRequire(import.meta.url).cache).some((f) => f.includes('/node_modules/protobufjs/'));
const sb = await startSandbox({ port: 0 });
const post = (path, type, body) =>
  new Promise((resolve, reject) => {
    const req = https.request(sb.url + path, {
      method: 'POST',
      ca: sb.caPem,
      headers: { Authorization: 'Bearer ' + sb.token, 'Content-Type': type },
    }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
    req.on('error', reject);
    req.end(body);
  });
const seen = { started: loaded() };
seen.json = [await post('/api/v1/namespaces', 'application/json', '{"metadata":{"name":"y"}}'), loaded()];
seen.protobuf = [
  await post('/api/v1/namespaces', 'application/vnd.kubernetes.protobuf', Buffer.from(${JSON.stringify(NAMESPACE_X)}, 'base64')),
  loaded(),
];
await sb.close();
console.log(JSON.stringify(seen));
`;

test('GIVEN a sandbox WHEN a JSON body and then a protobuf body arrive THEN protobufjs loads with the protobuf one', async () => {
  const r = await runProcess(process.execPath, ['--input-type=module', '-e', script]);
  expect(r.stderr).toBe('');
  expect(JSON.parse(r.stdout)).toEqual({ started: false, json: [201, false], protobuf: [201, true] });
});
