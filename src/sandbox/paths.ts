import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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

/** shared/ sits beside the clone, on developer machines and in CI alike. */
export function schemasDir(): string {
  return process.env.VELA_TS_SCHEMAS_DIR ?? path.resolve(repoRoot(), '../shared/schemas');
}
