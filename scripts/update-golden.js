#!/usr/bin/env node
// Regenerates test/golden from the built binary. Run on purpose only (npm run golden:update),
// then review the diff like code.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { goldenCases } from '../test/golden/cases.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
for (const c of goldenCases()) {
  const out = path.join(root, 'test/golden', c.output);
  mkdirSync(path.dirname(out), { recursive: true });
  const stdout = execFileSync(process.execPath, [path.join(root, 'bin/vela-ts.js'), ...c.args], {
    cwd: root,
    encoding: 'utf8',
  });
  writeFileSync(out, stdout);
  console.log(`wrote ${path.relative(root, out)}`);
}
