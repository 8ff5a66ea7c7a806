import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
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

/** What the sandbox reads from the schemas folder (registry.ts: the Istio CRDs; schema.ts: the OpenAPI documents). */
const SCHEMA_FILES = [
  'istio-1.29.6/networking.istio.io-crds.yaml',
  'kubernetes-v1.32/api__v1_openapi.json',
  'kubernetes-v1.32/apis__apps__v1_openapi.json',
];

/**
 * The upstream schemas the sandbox serves and validates against: VELA_TS_SCHEMAS_DIR, else shared/
 * beside the clone (on developer machines and in CI alike). They are not in the package, so a
 * folder without them is a setup problem to explain, not a raw ENOENT from deep in the server.
 */
export function schemasDir(): string {
  const fromEnv = process.env.VELA_TS_SCHEMAS_DIR;
  const dir = fromEnv ? path.resolve(fromEnv) : path.resolve(repoRoot(), '../shared/schemas');
  const missing = SCHEMA_FILES.find((f) => !existsSync(path.join(dir, f)));
  if (missing) {
    throw new UsageError(
      `the sandbox needs the Kubernetes and Istio schemas, but ${missing} is not in ${dir}${fromEnv ? ' (VELA_TS_SCHEMAS_DIR)' : ''}; set VELA_TS_SCHEMAS_DIR to the folder that holds istio-1.29.6/ and kubernetes-v1.32/`,
    );
  }
  return dir;
}
