import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { UsageError } from '../errors.js';

let cachedRoot: string | undefined;

/** The repository root, found by walking up to our package.json: this file runs from src/ under jest and from dist/ when built. */
export function repoRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'vela-ts')
          return (cachedRoot = dir);
      } catch {
        // not ours; keep walking
      }
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error('sandbox: cannot find the vela-ts package root');
    dir = up;
  }
}

/** The protobuf definitions proto-schema.ts parses, by import path, each one after those it imports. */
export const PROTO_FILES = [
  'k8s.io/apimachinery/pkg/runtime/schema/generated.proto',
  'k8s.io/apimachinery/pkg/runtime/generated.proto',
  'k8s.io/apimachinery/pkg/api/resource/generated.proto',
  'k8s.io/apimachinery/pkg/util/intstr/generated.proto',
  'k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto',
  'k8s.io/api/core/v1/generated.proto',
  'k8s.io/api/apps/v1/generated.proto',
  'k8s.io/api/authorization/v1/generated.proto',
  'k8s.io/api/coordination/v1/generated.proto',
  'k8s.io/api/events/v1/generated.proto',
  'k8s.io/api/rbac/v1/generated.proto',
] as const;

export type ProtoFile = `kubernetes-v1.32/proto/${(typeof PROTO_FILES)[number]}`;

/**
 * What the sandbox reads from the schemas folder (registry.ts: the Istio CRDs; schema.ts: the
 * OpenAPI documents; proto-schema.ts, on the first protobuf request body: the .proto files).
 */
const SCHEMA_FILES = [
  'istio-1.29.6/networking.istio.io-crds.yaml',
  'kubernetes-v1.32/api__v1_openapi.json',
  'kubernetes-v1.32/apis__apps__v1_openapi.json',
  'kubernetes-v1.32/apis__rbac.authorization.k8s.io__v1_openapi.json',
  'kubernetes-v1.32/apis__authorization.k8s.io__v1_openapi.json',
  ...PROTO_FILES.map((f): ProtoFile => `kubernetes-v1.32/proto/${f}`),
] as const;

export type SchemaFile = (typeof SCHEMA_FILES)[number];

/**
 * The upstream schemas the sandbox serves and validates against: the folder VELA_TS_SCHEMAS_DIR
 * names (plain or `.gz` files), else the package's own `schemas/` (gzip-compressed, byte-identical
 * upstream data; see its README). A folder without them is a setup problem to explain in one
 * sentence, not a raw ENOENT from deep in the server; every file is checked before any is read.
 */
function schemaPaths(): Map<SchemaFile, string> {
  const fromEnv = process.env.VELA_TS_SCHEMAS_DIR;
  const dir = fromEnv ? path.resolve(fromEnv) : path.join(repoRoot(), 'schemas');
  const found = new Map<SchemaFile, string>();
  for (const f of SCHEMA_FILES) {
    const file = [path.join(dir, f), path.join(dir, `${f}.gz`)].find((p) => existsSync(p));
    if (!file) {
      throw new UsageError(
        fromEnv
          ? `the sandbox needs the Kubernetes and Istio schemas, but ${f} is not in ${dir} (VELA_TS_SCHEMAS_DIR); set VELA_TS_SCHEMAS_DIR to the folder that holds istio-1.29.6/ and kubernetes-v1.32/`
          : `the sandbox needs the Kubernetes and Istio schemas, but ${f}.gz is not in ${dir}: this vela-ts installation is incomplete (reinstall it, or set VELA_TS_SCHEMAS_DIR to the folder that holds istio-1.29.6/ and kubernetes-v1.32/)`,
      );
    }
    found.set(f, file);
  }
  return found;
}

/** One schema file's upstream bytes. */
export function readSchema(file: SchemaFile): Buffer {
  const p = schemaPaths().get(file) as string;
  const bytes = readFileSync(p);
  return p.endsWith('.gz') ? gunzipSync(bytes) : bytes;
}
