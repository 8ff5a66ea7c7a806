import { parseApplication } from '../../src/appfile/parse.js';
import { InputError } from '../../src/errors.js';

function issues(text: string): string[] {
  try {
    parseApplication(text, 'app.yaml');
  } catch (err) {
    if (err instanceof InputError) return err.issues.map((i) => `${i.line}: ${i.message}`);
    throw err;
  }
  return [];
}

describe('one problem, one message', () => {
  it('GIVEN a tab in the indentation THEN only the tab is reported, not the lines its indentation throws off', () => {
    const text = [
      'apiVersion: core.oam.dev/v1beta1',
      'kind: Application',
      'metadata:',
      '  name: x',
      'spec:',
      '  components:',
      '    - name: web',
      '\t  type: webservice',
      '      properties:',
      '        image: nginx',
      '',
    ].join('\n');
    expect(issues(text)).toEqual(['8: YAML error: tabs are not allowed for indentation; indent with spaces']);
  });
});
