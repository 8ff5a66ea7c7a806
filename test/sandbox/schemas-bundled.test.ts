import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { readSchema, repoRoot, type SchemaFile } from '../../src/sandbox/paths.js';

// The sandbox's schemas ship inside the package, gzip-compressed; their uncompressed bytes must be
// the upstream files' exactly (schemas/README.md lists each sha256).

const UPSTREAM: Record<SchemaFile, string> = {
  'kubernetes-v1.32/api__v1_openapi.json': 'e70786b2b36d53fa99dd72910f2ef82a12384abc8d28ce144ebc9899c32b109c',
  'kubernetes-v1.32/apis__apps__v1_openapi.json':
    'ca3e54d3c12821353fa4c8aea2704d29ad1a216a142dbaefbab6ecea69457375',
  'kubernetes-v1.32/apis__rbac.authorization.k8s.io__v1_openapi.json':
    'cb328e53ccb31d9bf0c070dcf135f7404ddd51d9621e0ca22b76463022e44a6e',
  'kubernetes-v1.32/apis__authorization.k8s.io__v1_openapi.json':
    '12dd2152d3a24d5c3b7227a4b0d20e4308f8deb121368939b8f98affff7c5e92',
  'istio-1.29.6/networking.istio.io-crds.yaml':
    'b54a87c51b8c3aa678034563d5feab58335854c20a5864af98f12c66f0777e6d',
};
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const files = Object.keys(UPSTREAM) as SchemaFile[];

describe('the bundled schemas', () => {
  const saved = process.env.VELA_TS_SCHEMAS_DIR;
  afterEach(() => {
    if (saved === undefined) delete process.env.VELA_TS_SCHEMAS_DIR;
    else process.env.VELA_TS_SCHEMAS_DIR = saved;
  });

  it.each(files)('GIVEN no override WHEN %s is read THEN it is the upstream file byte for byte', (file) => {
    delete process.env.VELA_TS_SCHEMAS_DIR;
    expect(sha256(readSchema(file))).toBe(UPSTREAM[file]);
  });

  it('GIVEN the README WHEN read THEN it records every checksum the test checks', () => {
    const readme = readFileSync(path.join(repoRoot(), 'schemas/README.md'), 'utf8');
    for (const hash of Object.values(UPSTREAM)) expect(readme).toContain(hash);
  });

  it('GIVEN VELA_TS_SCHEMAS_DIR holding plain (uncompressed) files THEN those are read instead', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vela-ts-schemas-'));
    for (const file of files) {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      const bytes = gunzipSync(readFileSync(path.join(repoRoot(), 'schemas', `${file}.gz`)));
      // A marker proves the override, not the bundle, was read.
      writeFileSync(path.join(dir, file), Buffer.concat([bytes, Buffer.from('\n')]));
    }
    process.env.VELA_TS_SCHEMAS_DIR = dir;
    for (const file of files) expect(readSchema(file).at(-1)).toBe(0x0a);
    expect(readSchema('istio-1.29.6/networking.istio.io-crds.yaml').length).toBe(512_702);
  });
});
