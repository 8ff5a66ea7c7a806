/**
 * Quantities print as apimachinery's resource.Quantity prints them. The tables are those of
 * apimachinery v0.32.9 pkg/api/resource/quantity_test.go (TestQuantityString, TestQuantityParseEmit,
 * TestQuantityParse), so the sandbox stores what a real apiserver stores.
 */
import { canonicalQuantity, parseQuantity, QuantityError, sameQuantity } from '../../src/quantity.js';

// [canonical, alternate spelling or ''] from TestQuantityString.
const STRING_TABLE: [string, string][] = [
  ['1Gi', '1024Mi'],
  ['300Mi', '307200Ki'],
  ['6Ki', ''],
  ['1001Gi', '1025024Mi'],
  ['1Ti', '1024Gi'],
  ['5', '5000m'],
  ['500m', '0.5'],
  ['1G', '1000M'],
  ['1G', '0.001T'],
  ['1m', '1000u'],
  ['80m', ''],
  ['1080m', '1.08'],
  ['1080m', '1080000000n'],
  ['300M', ''],
  ['1T', ''],
  ['1234567M', ''],
  ['1234567m', ''],
  ['3k', ''],
  ['1025', ''],
  ['0', '00'],
  ['1e9', '.001e12'],
  ['1e-3', '0.001e0'],
  ['1e-9', '1000e-12'],
  ['80e-3', ''],
  ['300e6', ''],
  ['1e12', ''],
  ['1e3', ''],
  ['3e3', ''],
  ['1n', ''],
  ['80n', ''],
  ['1080n', ''],
  ['1u', ''],
  ['80u', ''],
  ['1080u', ''],
];

describe('resource quantities in canonical form', () => {
  test.each(STRING_TABLE)(
    'GIVEN %s THEN it is kept as it is, and its alternate %s prints as it',
    (canon, alt) => {
      expect(parseQuantity(canon).kept).toBe(canon);
      expect(canonicalQuantity(canon)).toBe(canon);
      if (alt) {
        expect(parseQuantity(alt).kept).toBeUndefined();
        expect(canonicalQuantity(alt)).toBe(canon);
        if (canon !== '0') expect(canonicalQuantity(`-${alt}`)).toBe(`-${canon}`);
      }
    },
  );

  test.each([
    ['1Ki', '1Ki'],
    ['1Mi', '1Mi'],
    ['1024Mi', '1Gi'],
    ['1000M', '1G'],
    ['.001Ki', '1024m'],
    ['.000001Ki', '1024u'],
    ['.000000001Ki', '1024n'],
    ['.000000000001Ki', '2n'],
  ])('GIVEN %s (TestQuantityParseEmit) THEN it prints %s, and negated with a minus', (input, out) => {
    expect(canonicalQuantity(input)).toBe(out);
    expect(canonicalQuantity(`-${input}`)).toBe(`-${out}`);
  });

  test.each([
    ['3.001n', '4n'],
    ['0.00000012345', '124n'],
    // apimachinery keeps the text of any int64-sized value whose scale is a multiple of three
    // (parse.go's fast path), so these come back as written.
    ['100.035k', '100.035k'],
    ['10.035M', '10.035M'],
    ['+1', '+1'],
    ['0.5Mi', '512Ki'],
    ['1.5Mi', '1536Ki'],
    ['100.035Ki', '102435840m'],
    ['1.', '1.'],
    ['1.G', '1.G'],
    ['1.5', '1500m'],
    ['e3', '0'],
    ['1.3E+6', '1300e3'],
    ['9Ei', '9223372036854775807'],
    ['1000m', '1'],
  ])('GIVEN %s THEN it rounds and prints as %s', (input, out) => {
    expect(canonicalQuantity(input)).toBe(out);
  });

  test('GIVEN a JSON number THEN it is read from its decimal text', () => {
    expect(canonicalQuantity(0.5)).toBe('500m');
    expect(canonicalQuantity(2)).toBe('2');
  });

  test.each(['', 'abc', '1.5.5', '1Kib', '1 Gi', '--1', 'e'])('GIVEN %j THEN it is not a quantity', (bad) => {
    expect(() => parseQuantity(bad)).toThrow(QuantityError);
  });

  test('GIVEN two spellings of one value THEN they are the same quantity, and a different value is not', () => {
    expect(sameQuantity('0.5', '500m')).toBe(true);
    expect(sameQuantity(0.5, '500m')).toBe(true);
    expect(sameQuantity('1024Mi', '1Gi')).toBe(true);
    expect(sameQuantity('1G', '1Gi')).toBe(false);
    expect(sameQuantity('abc', 'abc')).toBe(false);
  });
});
