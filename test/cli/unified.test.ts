import { lineEdits, unifiedHunks } from '../../src/cli/unified.js';

const lines = (n: number, at = 1) => Array.from({ length: n }, (_, i) => `line ${i + at}`);
const text = (l: string[]) => `${l.join('\n')}\n`;

describe('unifiedHunks: diff -u of two texts', () => {
  it('GIVEN equal texts THEN no hunk', () => {
    expect(unifiedHunks(text(lines(5)), text(lines(5)))).toEqual([]);
  });

  it('GIVEN one changed line in the middle THEN one hunk with three lines of context each side, numbered as diff -u numbers it', () => {
    const after = lines(20);
    after[9] = 'changed';
    expect(unifiedHunks(text(lines(20)), text(after))).toEqual([
      '@@ -7,7 +7,7 @@',
      ' line 7',
      ' line 8',
      ' line 9',
      '-line 10',
      '+changed',
      ' line 11',
      ' line 12',
      ' line 13',
    ]);
  });

  it('GIVEN changes far apart THEN two hunks; close together THEN one', () => {
    const far = lines(30);
    far[2] = 'a';
    far[25] = 'b';
    expect(unifiedHunks(text(lines(30)), text(far)).filter((l) => l.startsWith('@@'))).toEqual([
      '@@ -1,6 +1,6 @@',
      '@@ -23,7 +23,7 @@',
    ]);
    const near = lines(30);
    near[10] = 'a';
    near[15] = 'b';
    expect(unifiedHunks(text(lines(30)), text(near)).filter((l) => l.startsWith('@@'))).toEqual([
      '@@ -8,12 +8,12 @@',
    ]);
  });

  it('GIVEN a new text THEN every line is added from an empty file (-0,0), and a removed one the reverse', () => {
    expect(unifiedHunks('', 'a\nb\n')).toEqual(['@@ -0,0 +1,2 @@', '+a', '+b']);
    expect(unifiedHunks('a\n', '')).toEqual(['@@ -1 +0,0 @@', '-a']);
  });

  it('GIVEN lines inserted THEN only they are marked, the common ones kept as context', () => {
    expect(lineEdits(['a', 'b', 'c'], ['a', 'x', 'b', 'c', 'y'])).toEqual([
      { op: ' ', line: 'a' },
      { op: '+', line: 'x' },
      { op: ' ', line: 'b' },
      { op: ' ', line: 'c' },
      { op: '+', line: 'y' },
    ]);
  });
});
