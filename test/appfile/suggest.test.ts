import { closest, didYouMean, levenshtein } from '../../src/appfile/suggest.js';

describe('did you mean', () => {
  test('GIVEN two words WHEN measured THEN the edit distance counts inserts, deletes and substitutions', () => {
    expect(levenshtein('rollout', 'rollout')).toBe(0);
    expect(levenshtein('rolout', 'rollout')).toBe(1);
    expect(levenshtein('kitten', 'sitting')).toBe(3);
    expect(levenshtein('', 'abc')).toBe(3);
  });

  test('GIVEN a case-only difference WHEN suggesting THEN that candidate wins even when far by distance', () => {
    expect(closest('IMAGEPULLPOLICY', ['image', 'imagePullPolicy'])).toBe('imagePullPolicy');
  });

  test('GIVEN a name within distance 2 WHEN suggesting THEN the nearest is offered', () => {
    expect(didYouMean('replica', ['replicas', 'targetSize'])).toBe('; did you mean "replicas"?');
    expect(closest('prot', ['port', 'ports'])).toBe('port');
  });

  test('GIVEN nothing close WHEN suggesting THEN there is no suggestion', () => {
    expect(didYouMean('colour', ['image', 'port', 'cmd'])).toBe('');
    // two-letter inputs only match at distance 1, or everything short would be "close"
    expect(closest('ab', ['cd'])).toBeUndefined();
  });
});
