/**
 * A component's revisions `<name>-v<N>` are label values and Istio subset names (at most 63
 * characters), so a name a real server would refuse mid-rollout is refused up front.
 */
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { runCli } from '../helpers/cli.js';
import { tmpDir } from '../sandbox/helpers.js';
import { parseApplication } from '../../src/appfile/parse.js';
import { FILE, onlyIssue, VALID } from '../appfile/support.js';

const named = (name: string) =>
  VALID.replace('    - name: web\n', `    - name: ${name}\n`)
    .replace('revision: web-v1', `revision: ${name}-v1`)
    .replace('revision: web-v2', `revision: ${name}-v2`);

describe('component name length', () => {
  test('GIVEN a 56-character component name THEN it is refused at its line, saying 55 and why', () => {
    const name = `w${'e'.repeat(55)}`;
    const issue = onlyIssue(named(name));
    expect(issue).toMatchObject({ line: 7, column: 13, path: 'spec.components[0].name' });
    expect(issue.message).toMatch(
      /is 56 characters long and is not valid: must be a DNS-1035 label of at most 55/,
    );
    expect(issue.message).toContain(
      'label values and Istio subset names, which may be at most 63 characters',
    );
  });

  test('GIVEN a 55-character component name THEN it is valid', () => {
    const name = `w${'e'.repeat(54)}`;
    expect(parseApplication(named(name), FILE).app.components[0]?.name).toBe(name);
  });

  test('GIVEN a 61-character component name WHEN rendered THEN exit 2 with file:line and the YAML path', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'app.yaml');
    writeFileSync(file, named(`w${'e'.repeat(60)}`));
    const res = await runCli(['render', file]);
    expect(res).toMatchObject({ code: 2, stdout: '' });
    expect(res.stderr).toContain(`${file}:7:13: spec.components[0].name:`);
    expect(res.stderr).toContain('is 61 characters long');
  });
});
