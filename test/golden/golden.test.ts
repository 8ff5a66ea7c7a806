import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, runCli } from '../helpers/cli.js';
// @ts-expect-error plain JS shared with scripts/update-golden.js
import { goldenCases } from './cases.js';

interface GoldenCase {
  output: string;
  args: string[];
}

/**
 * The built binary's output for every example, against files reviewed like code. Regenerate only
 * on purpose: `npm run build && npm run golden:update`, then read the diff.
 */
describe('golden output', () => {
  for (const c of goldenCases() as GoldenCase[]) {
    it(`vela-ts ${c.args.join(' ')} matches test/golden/${c.output}`, async () => {
      const res = await runCli(c.args);
      expect(res.stderr).toBe('');
      expect(res.code).toBe(0);
      expect(res.stdout).toBe(readFileSync(path.join(repoRoot, 'test/golden', c.output), 'utf8'));
    });
  }
});
