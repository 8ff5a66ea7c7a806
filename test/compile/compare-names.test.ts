import { compareNames } from '../../src/compile/stable.js';

// compareNames stands in for `localeCompare(…, 'en')` in the order of rendered objects (so that a
// render never starts ICU): over every name it must give the very same order.
const sign = (n: number) => Math.sign(n);

function allStrings(alphabet: string[], maxLength: number): string[] {
  let level = [''];
  const out = [''];
  for (let len = 1; len <= maxLength; len++) {
    level = level.flatMap((s) => alphabet.map((c) => s + c));
    out.push(...level);
  }
  return out;
}

describe('compareNames orders names as localeCompare(…, "en") does', () => {
  it('GIVEN every string of up to 3 characters of letters in both cases, digits, "-" and "." THEN the same order for every pair', () => {
    const strings = allStrings(['a', 'A', 'b', 'B', 'z', 'Z', '0', '9', '-', '.'], 3);
    const mismatches: string[] = [];
    for (const a of strings) {
      for (const b of strings) {
        if (sign(compareNames(a, b)) !== sign(a.localeCompare(b, 'en'))) mismatches.push(`${a} ${b}`);
      }
    }
    expect(mismatches.slice(0, 10)).toEqual([]);
  });

  it('GIVEN realistic object names THEN sorting gives the same list', () => {
    const names = [
      'reviews',
      'reviews-v2',
      'reviews-v10',
      'reviews.v2',
      'review',
      'productpage',
      'product-page',
      'details-v1',
      'ratings-2',
      'a',
      'a-b-c.d',
      'book-info-gateway',
      'x1',
      'x-1',
      'x.1',
    ];
    for (let seed = 1; seed <= 20; seed++) {
      const shuffled = [...names].sort((a, b) => ((a.length * 31 + seed) % 7) - ((b.length * 17 + seed) % 5));
      expect([...shuffled].sort(compareNames)).toEqual(
        [...shuffled].sort((a, b) => a.localeCompare(b, 'en')),
      );
    }
  });

  it('GIVEN characters no name may hold THEN ICU decides, so the order is still the same', () => {
    const odd = ['a_b', 'a-b', 'ab', 'a b', 'é', 'e', 'f', 'a~', ''];
    for (const a of odd) {
      for (const b of odd) expect(sign(compareNames(a, b))).toBe(sign(a.localeCompare(b, 'en')));
    }
  });
});
