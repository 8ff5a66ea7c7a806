import { parseApplication } from '../../src/appfile/parse.js';
import { InputError, type Issue } from '../../src/errors.js';

export const FILE = 'app.yaml';

/** Lines joined with newlines, so a test can count them: element i is line i + 1. */
export function yaml(...lines: string[]): string {
  return lines.join('\n') + '\n';
}

/** A valid application; tests break one thing at a time with `edit`. Line numbers in comments. */
export const VALID = yaml(
  'apiVersion: core.oam.dev/v1beta1', // 1
  'kind: Application', // 2
  'metadata:', // 3
  '  name: shop', // 4
  'spec:', // 5
  '  components:', // 6
  '    - name: web', // 7
  '      type: webservice', // 8
  '      properties:', // 9
  '        image: web:1', // 10
  '        port: 8080', // 11
  '      traits:', // 12
  '        - type: canary-traffic', // 13
  '          properties:', // 14
  '            port: [8080]', // 15
  '        - type: rollout', // 16
  '          properties:', // 17
  '            targetSize: 4', // 18
  '            rolloutBatches:', // 19
  '              - replicas: 1', // 20
  '              - replicas: 3', // 21
  '  workflow:', // 22
  '    steps:', // 23
  '      - name: first', // 24
  '        type: canary-rollout', // 25
  '        properties:', // 26
  '          batchPartition: 0', // 27
  '          traffic:', // 28
  '            weightedTargets:', // 29
  '              - revision: web-v1', // 30
  '                weight: 75', // 31
  '              - revision: web-v2', // 32
  '                weight: 25', // 33
  '      - name: approve', // 34
  '        type: suspend', // 35
);

/** VALID with line `n` (1-based) replaced by `lines` (none: deleted). */
export function edit(n: number, ...lines: string[]): string {
  const all = VALID.split('\n');
  all.splice(n - 1, 1, ...lines);
  return all.join('\n');
}

/** The issues parseApplication reports; fails the test if it accepts the text. */
export function issuesOf(text: string): Issue[] {
  try {
    parseApplication(text, FILE);
  } catch (e) {
    if (e instanceof InputError) return [...e.issues];
    throw e;
  }
  throw new Error('expected the file to be rejected, but it parsed');
}

/** The only issue reported, as {line, column, path, message}. */
export function onlyIssue(text: string): Omit<Issue, 'file'> {
  const issues = issuesOf(text);
  expect(issues.map((i) => `${i.line}:${i.column} ${i.path}: ${i.message}`)).toHaveLength(1);
  const [issue] = issues;
  expect(issue?.file).toBe(FILE);
  const { line, column, path, message } = issue as Issue;
  return { line, column, path, message };
}
