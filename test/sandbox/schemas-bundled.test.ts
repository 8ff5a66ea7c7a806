import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { readSchema, repoRoot, type SchemaFile } from '../../src/sandbox/paths.js';

// The sandbox's schemas (OpenAPI documents, CRDs, .proto files) ship inside the package,
// gzip-compressed; their uncompressed bytes must be the upstream files' exactly (schemas/README.md
// lists each sha256).

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
  'kubernetes-v1.32/proto/k8s.io/api/apps/v1/generated.proto':
    '2c8cfc9a8490a7e5f6bbc03c55b2bcf25bcebeaaf0c1a5beb9f42b1a9ed8bb8a',
  'kubernetes-v1.32/proto/k8s.io/api/authorization/v1/generated.proto':
    'f48b383d771bc5a70137b687de7a64399bc3ddb5716611e98fa93b88ad1c8ac7',
  'kubernetes-v1.32/proto/k8s.io/api/coordination/v1/generated.proto':
    'ff9af484a3fc853e5bcad5c2daad8fb0bcb98f2e0d612fb4c05711c897d27047',
  'kubernetes-v1.32/proto/k8s.io/api/core/v1/generated.proto':
    'dd6cf89d7df51a09d62b9c57f645c90956195df301c3c62d204b569821599502',
  'kubernetes-v1.32/proto/k8s.io/api/events/v1/generated.proto':
    '5e4e60993ed7b6e522976af29abd0994de8d68ad233763f6063a3b62ddf05982',
  'kubernetes-v1.32/proto/k8s.io/api/rbac/v1/generated.proto':
    'b189242e71eb199832c8d5de0e565f25b6f1f05586ba4d3aef14c3ea3790d65b',
  'kubernetes-v1.32/proto/k8s.io/apimachinery/pkg/api/resource/generated.proto':
    'b952ca7037ea1fef76285a8b20597da7b18f2f789662dcf87717304da58a53b3',
  'kubernetes-v1.32/proto/k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto':
    'ffc98d709e9d139e60460ee7a4fd526baf3baf1176a51859a7ba092eb26875cc',
  'kubernetes-v1.32/proto/k8s.io/apimachinery/pkg/runtime/generated.proto':
    '19a098984ebde051f717387ef35ae0069104eab9c0534a4bb37470ea1d47fcc9',
  'kubernetes-v1.32/proto/k8s.io/apimachinery/pkg/runtime/schema/generated.proto':
    'f6c8cc582d36e639e022c9edc2faf213ab16fe07045fabf54f5edc2241eda3e5',
  'kubernetes-v1.32/proto/k8s.io/apimachinery/pkg/util/intstr/generated.proto':
    '7988d488df2aa72bc5fb7de6094e372f5aef03d7d70819ba777a8e8760dd9091',
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
