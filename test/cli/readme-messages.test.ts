/**
 * The README's troubleshooting section quotes messages users meet; each quoted one (bold code,
 * `…` for the parts that vary) must still be what the code prints, or the section would send
 * people looking for words that no longer appear.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../helpers/cli.js';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') ? [readFileSync(p, 'utf8')] : [];
  });
}

const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Troubleshooting'), readme.indexOf('## How it behaves'));
const quoted = [...section.matchAll(/\*\*`([^`]+)`\*\*/g)].map((m) => (m[1] ?? '').replace(/\s+/g, ' '));
const code = sources(path.join(repoRoot, 'src')).join('\n');

/** The fixed words of a quoted message: cut at each `…` and bracket, stripped of joining punctuation. */
const pieces = (message: string) =>
  message
    .split(/…|[()]/)
    .map((p) => p.trim().replace(/^[:;,."\s]+|[\s"]+$/g, ''))
    .filter((p) => p.length >= 8);

describe('README troubleshooting', () => {
  it('quotes messages (a dozen or more)', () => {
    expect(quoted.length).toBeGreaterThanOrEqual(12);
  });

  it.each(quoted)('"%s" is printed by the code', (message) => {
    const missing = pieces(message).filter((p) => !code.includes(p));
    expect(missing).toEqual([]);
  });
});
