import fs from 'node:fs';
import path from 'node:path';
import { parseApplication } from '../../src/appfile/parse.js';
import { InputError } from '../../src/errors.js';
import { bookinfo, seedWorkflow, V3 } from '../fixtures/apps.js';
import { kubevelaExamples } from '../helpers/cli.js';

const read = (name: string) => fs.readFileSync(path.join(kubevelaExamples, name), 'utf8');

describe('the KubeVela canary demo files', () => {
  test('GIVEN first-deploy.yaml WHEN parsed THEN it reads unchanged as four webservices with their traits', () => {
    const { app, file } = parseApplication(read('first-deploy.yaml'), 'first-deploy.yaml');
    expect(file).toBe('first-deploy.yaml');
    expect(app.name).toBe('book-info');
    expect(app.namespace).toBe('default');
    expect(app.workflow).toBeUndefined();
    expect(app.components.map((c) => c.name)).toEqual(['reviews', 'productpage', 'ratings', 'details']);
    const reviews = app.components[0];
    expect(reviews?.properties).toEqual({
      image: 'docker.io/istio/examples-bookinfo-reviews-v2:1.16.2',
      port: 9080,
      volumes: [
        { name: 'wlp-output', type: 'emptyDir', mountPath: '/opt/ibm/wlp/output' },
        { name: 'tmp', type: 'emptyDir', mountPath: '/tmp' },
      ],
    });
    expect(reviews?.traits).toEqual([
      { type: 'canary-traffic', properties: { port: [9080] } },
      { type: 'rollout', properties: { targetSize: 2, rolloutBatches: [{ replicas: 2 }] } },
    ]);
    expect(app.components[1]?.traits[1]).toEqual({
      type: 'istio-gateway',
      properties: {
        hosts: ['*'],
        gateway: 'ingressgateway',
        match: [
          { exact: '/productpage' },
          { prefix: '/static' },
          { exact: '/login' },
          { prefix: '/api/v1/products' },
        ],
        port: 9080,
      },
    });
  });

  test('GIVEN first-deploy.yaml WHEN parsed THEN lines maps YAML paths to the lines where they are written', () => {
    const { lines } = parseApplication(read('first-deploy.yaml'), 'first-deploy.yaml');
    expect(lines.get('')).toBe(1);
    expect(lines.get('metadata.name')).toBe(4);
    expect(lines.get('spec.components[0]')).toBe(8);
    expect(lines.get('spec.components[0].traits[1].properties.rolloutBatches[0].replicas')).toBe(32);
    expect(lines.get('spec.components[1].traits[1].properties.match[3].prefix')).toBe(55);
  });

  test('GIVEN rollout-v2.yaml WHEN parsed THEN its three workflow steps are read with their properties', () => {
    const { app } = parseApplication(read('rollout-v2.yaml'), 'rollout-v2.yaml');
    expect(app.workflow).toEqual(seedWorkflow);
    // The hand-built fixture the compiler and workflow tests use is this very file.
    expect(app).toEqual(bookinfo({ reviewsImage: V3, batches: [1, 1], workflow: seedWorkflow }));
  });

  test('GIVEN rollback.yaml (v1.1 layout, 10-space properties) WHEN parsed THEN its rollback step has no properties', () => {
    const { app } = parseApplication(read('rollback.yaml'), 'rollback.yaml');
    expect(app.workflow).toEqual([{ name: 'rollback', type: 'canary-rollback', properties: {} }]);
    expect(app.components[0]?.traits.map((t) => t.type)).toEqual(['rollout', 'canary-traffic']);
    expect(app.components[1]?.properties.image).toBe(
      'docker.io/istio/examples-bookinfo-productpage-v1:1.16.2',
    );
  });

  test('GIVEN rollback-invalid-since-v1.2.yaml WHEN parsed THEN one YAML error names line 27, the mis-indented "- type: rollout"', () => {
    let error: unknown;
    try {
      parseApplication(read('rollback-invalid-since-v1.2.yaml'), 'rollback-invalid-since-v1.2.yaml');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    const issues = (error as InputError).issues;
    expect(issues.map(({ file, line, column, path }) => ({ file, line, column, path }))).toEqual([
      { file: 'rollback-invalid-since-v1.2.yaml', line: 27, column: 13, path: '' },
    ]);
    expect(issues[0]?.message).toMatch(/^YAML error: bad indentation at "- type: rollout"/);
    expect((error as InputError).message).toMatch(/^rollback-invalid-since-v1\.2\.yaml:27:13: YAML error/);
  });
});
