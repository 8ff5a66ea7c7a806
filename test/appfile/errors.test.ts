import { parseApplication } from '../../src/appfile/parse.js';
import { FILE, VALID, edit, issuesOf, onlyIssue, yaml } from './support.js';

describe('the shared test application', () => {
  test('GIVEN the base file used by these tests WHEN parsed THEN it is valid', () => {
    const { app } = parseApplication(VALID, FILE);
    expect(app.components[0]?.traits[1]).toEqual({
      type: 'rollout',
      properties: { targetSize: 4, rolloutBatches: [{ replicas: 1 }, { replicas: 3 }] },
    });
    expect(app.labels).toEqual({});
    expect(app.namespace).toBeUndefined();
  });
});

describe('YAML syntax', () => {
  test('GIVEN a duplicate key WHEN parsed THEN the second key is reported by line and column', () => {
    expect(onlyIssue(edit(11, '        port: 8080', '        port: 9090'))).toEqual({
      line: 12,
      column: 9,
      path: '',
      message: 'YAML error: duplicate key "port" (each key may appear once in a mapping)',
    });
  });

  test('GIVEN a tab used for indentation WHEN parsed THEN the tab is reported first', () => {
    expect(issuesOf(edit(11, '\t\tport: 8080'))[0]).toMatchObject({
      line: 11,
      column: 1,
      message: 'YAML error: tabs are not allowed for indentation; indent with spaces',
    });
  });

  test('GIVEN a mis-indented line WHEN parsed THEN the error names that line and says to check indentation', () => {
    const issue = onlyIssue(edit(11, '       port: 8080'));
    expect(issue.line).toBe(11);
    expect(issue.message).toMatch(/^YAML error: bad indentation at "port: 8080": .*check the indentation/);
  });

  test('GIVEN a second non-empty document WHEN parsed THEN it is rejected at its first line', () => {
    expect(onlyIssue(VALID + '---\nkind: Application\n')).toEqual({
      line: 37,
      column: 1,
      path: '',
      message:
        'expected exactly one Application document, but the file has 2: put each application in its own file',
    });
  });

  test('GIVEN a trailing "---" with nothing after it WHEN parsed THEN the file is accepted', () => {
    expect(parseApplication(VALID + '---\n', FILE).app.name).toBe('shop');
  });

  test('GIVEN an empty file WHEN parsed THEN it says the file is empty', () => {
    expect(onlyIssue('# nothing here\n')).toEqual({
      line: 0,
      column: 0,
      path: '',
      message: 'the file is empty: expected an Application (apiVersion: core.oam.dev/v1beta1)',
    });
  });
});

describe('the Application envelope', () => {
  test('GIVEN another apiVersion WHEN parsed THEN it is rejected at the value', () => {
    expect(onlyIssue(edit(1, 'apiVersion: core.oam.dev/v1alpha2'))).toEqual({
      line: 1,
      column: 13,
      path: 'apiVersion',
      message: 'expected apiVersion "core.oam.dev/v1beta1", got "core.oam.dev/v1alpha2"',
    });
  });

  test('GIVEN an invalid metadata.name WHEN parsed THEN the DNS-1123 rule is explained', () => {
    const issue = onlyIssue(edit(4, '  name: Shop_1'));
    expect(issue).toMatchObject({ line: 4, column: 9, path: 'metadata.name' });
    expect(issue.message).toMatch(/^"Shop_1" is not valid: must be a DNS-1123 label/);
  });

  test('GIVEN a 64-character metadata.namespace WHEN parsed THEN its length is reported', () => {
    const ns = 'n'.repeat(64);
    expect(onlyIssue(edit(4, '  name: shop', `  namespace: ${ns}`)).message).toMatch(
      /is 64 characters long and is not valid/,
    );
  });

  test('GIVEN server-filled metadata and status (kubectl get -o yaml) WHEN parsed THEN they are ignored and labels are kept', () => {
    const text =
      edit(
        4,
        '  name: shop',
        '  uid: 1f6c',
        '  resourceVersion: "42"',
        '  creationTimestamp: "2024-01-01T00:00:00Z"',
        '  labels: {team: checkout}',
        '  annotations: {"example.com/owner": "ana"}',
      ) + 'status: {phase: running}\n';
    const { app } = parseApplication(text, FILE);
    expect(app.labels).toEqual({ team: 'checkout' });
    expect(app.annotations).toEqual({ 'example.com/owner': 'ana' });
  });

  test('GIVEN a label value that is a number WHEN parsed THEN it asks for quotes, with a bracketed path for the dotted key', () => {
    expect(onlyIssue(edit(4, '  name: shop', '  labels:', '    app.kubernetes.io/version: 2'))).toEqual({
      line: 6,
      column: 32,
      path: 'metadata.labels["app.kubernetes.io/version"]',
      message: 'expected a string, got integer 2 (quote it: "2")',
    });
  });

  test('GIVEN a missing spec WHEN parsed THEN the missing field is reported at the parent line', () => {
    const text = yaml('apiVersion: core.oam.dev/v1beta1', 'kind: Application', 'metadata:', '  name: shop');
    expect(onlyIssue(text)).toEqual({
      line: 1,
      column: 1,
      path: 'spec',
      message: 'missing required field "spec"',
    });
  });
});

describe('components', () => {
  test('GIVEN an unknown component type WHEN parsed THEN it is reported with a suggestion', () => {
    expect(onlyIssue(edit(8, '      type: webservise'))).toEqual({
      line: 8,
      column: 13,
      path: 'spec.components[0].type',
      message: 'unknown component type "webservise"; did you mean "webservice"?',
    });
  });

  test('GIVEN a port written as a string WHEN parsed THEN the wrong type is reported with the value', () => {
    expect(onlyIssue(edit(11, '        port: "8080"'))).toEqual({
      line: 11,
      column: 15,
      path: 'spec.components[0].properties.port',
      message: 'expected an integer, got string "8080"',
    });
  });

  test('GIVEN no image WHEN parsed THEN the missing field is reported on the properties line', () => {
    expect(onlyIssue(edit(10))).toEqual({
      line: 9,
      column: 7,
      path: 'spec.components[0].properties.image',
      message: 'missing required field "image"',
    });
  });

  test('GIVEN an unknown property WHEN parsed THEN it is reported at its key with a suggestion', () => {
    expect(onlyIssue(edit(11, '        port: 8080', '        imagePulPolicy: Always'))).toEqual({
      line: 12,
      column: 9,
      path: 'spec.components[0].properties.imagePulPolicy',
      message: 'unknown field "imagePulPolicy" in webservice properties; did you mean "imagePullPolicy"?',
    });
  });

  test('GIVEN an enum value in the wrong case WHEN parsed THEN the right spelling is suggested', () => {
    expect(onlyIssue(edit(11, '        port: 8080', '        imagePullPolicy: ifnotpresent')).message).toBe(
      'unknown imagePullPolicy "ifnotpresent"; did you mean "IfNotPresent"?',
    );
  });

  test('GIVEN cpu as a number and memory as a quantity WHEN parsed THEN cpu is kept as the digits written', () => {
    const { app } = parseApplication(
      edit(11, '        port: 8080', '        cpu: 0.5', '        memory: 256Mi'),
      FILE,
    );
    expect(app.components[0]?.properties).toMatchObject({ cpu: '0.5', memory: '256Mi' });
  });

  test('GIVEN env, volumes, ports and probes of every supported shape WHEN parsed THEN they are read as written', () => {
    const text = edit(
      11,
      '        ports: [{port: 8080, name: http}, {port: 9090, protocol: UDP}]',
      '        cmd: [serve]',
      '        args: ["--verbose", ""]',
      '        env:',
      '          - {name: A, value: "1"}',
      '          - {name: B, valueFrom: {secretKeyRef: {name: s, key: k}}}',
      '          - {name: C, valueFrom: {configMapKeyRef: {name: c, key: k}}}',
      '        imagePullSecrets: [regcred]',
      '        volumes:',
      '          - {name: cache, mountPath: /cache, type: emptyDir, medium: Memory}',
      '          - {name: conf, mountPath: /etc/app, type: configMap, cmName: app-conf, defaultMode: 0644}',
      '          - {name: keys, mountPath: /keys, type: secret, secretName: keys}',
      '          - {name: data, mountPath: /data, type: pvc, claimName: data}',
      '        livenessProbe: {httpGet: {path: /healthz, port: 8080}, periodSeconds: 5}',
      '        readinessProbe: {exec: {command: [cat, /tmp/ready]}}',
    );
    const props = parseApplication(text, FILE).app.components[0]?.properties;
    expect(props?.ports).toEqual([
      { port: 8080, name: 'http' },
      { port: 9090, protocol: 'UDP' },
    ]);
    expect(props?.env?.[1]).toEqual({ name: 'B', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } });
    // YAML 1.1 as kubectl reads it: 0644 is octal.
    expect(props?.volumes?.[1]).toEqual({
      name: 'conf',
      mountPath: '/etc/app',
      type: 'configMap',
      cmName: 'app-conf',
      defaultMode: 0o644,
    });
    expect(props?.livenessProbe).toEqual({ httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 5 });
  });

  test('GIVEN a volume field of another volume type WHEN parsed THEN it is unknown for this type', () => {
    expect(
      onlyIssue(
        edit(
          11,
          '        volumes:',
          '          - {name: tmp, mountPath: /tmp, type: emptyDir, claimName: x}',
        ),
      ),
    ).toMatchObject({
      line: 12,
      path: 'spec.components[0].properties.volumes[0].claimName',
      message: 'unknown field "claimName" in a emptyDir volume',
    });
  });

  test('GIVEN two volumes with the same name WHEN parsed THEN the second is reported', () => {
    const text = edit(
      11,
      '        volumes:',
      '          - {name: tmp, mountPath: /a, type: emptyDir}',
      '          - {name: tmp, mountPath: /b, type: emptyDir}',
    );
    expect(onlyIssue(text)).toEqual({
      line: 13,
      column: 20,
      path: 'spec.components[0].properties.volumes[1].name',
      message: 'duplicate volume name "tmp" (already used by item 0)',
    });
  });

  test('GIVEN an env entry with both value and valueFrom WHEN parsed THEN it is rejected', () => {
    const text = edit(
      11,
      '        env:',
      '          - name: A',
      '            value: x',
      '            valueFrom: {secretKeyRef: {name: s, key: k}}',
    );
    expect(onlyIssue(text)).toMatchObject({
      line: 14,
      column: 13,
      path: 'spec.components[0].properties.env[0]',
      message: '"value" and "valueFrom" cannot be used together',
    });
  });

  test('GIVEN a probe without a handler WHEN parsed THEN exactly one handler is asked for', () => {
    expect(onlyIssue(edit(11, '        readinessProbe: {periodSeconds: 3}'))).toMatchObject({
      line: 11,
      path: 'spec.components[0].properties.readinessProbe',
      message: 'expected exactly one of "exec", "httpGet", "tcpSocket"',
    });
  });

  test('GIVEN two components with the same name WHEN parsed THEN the second name is reported', () => {
    const text = VALID.replace(
      '  workflow:',
      '    - name: web\n      type: webservice\n      properties: {image: x}\n  workflow:',
    );
    expect(onlyIssue(text)).toEqual({
      line: 22,
      column: 13,
      path: 'spec.components[1].name',
      message: 'duplicate component name "web" (first used on line 7)',
    });
  });

  test('GIVEN a component name starting with a digit WHEN parsed THEN it is rejected (Service names must start with a letter)', () => {
    expect(onlyIssue(edit(7, '    - name: 1web'))).toMatchObject({
      line: 7,
      path: 'spec.components[0].name',
    });
  });

  test('GIVEN an empty component list WHEN parsed THEN at least one component is asked for', () => {
    const text = yaml(
      'apiVersion: core.oam.dev/v1beta1',
      'kind: Application',
      'metadata: {name: shop}',
      'spec:',
      '  components: []',
    );
    expect(onlyIssue(text)).toEqual({
      line: 5,
      column: 15,
      path: 'spec.components',
      message: 'must list at least one component',
    });
  });
});

describe('traits', () => {
  test('GIVEN an unknown trait type WHEN parsed THEN a close one is suggested', () => {
    expect(onlyIssue(edit(13, '        - type: canary-trafic'))).toEqual({
      line: 13,
      column: 17,
      path: 'spec.components[0].traits[0].type',
      message: 'unknown trait type "canary-trafic"; did you mean "canary-traffic"?',
    });
  });

  test('GIVEN a trait port given as a scalar WHEN parsed THEN a list is asked for', () => {
    expect(onlyIssue(edit(15, '            port: 8080'))).toEqual({
      line: 15,
      column: 19,
      path: 'spec.components[0].traits[0].properties.port',
      message: 'expected a list (of integer items), got integer 8080',
    });
  });

  test('GIVEN the same trait twice WHEN parsed THEN the second is reported', () => {
    expect(
      onlyIssue(
        edit(
          15,
          '            port: [8080]',
          '        - type: canary-traffic',
          '          properties: {port: [8080]}',
        ),
      ),
    ).toEqual({
      line: 16,
      column: 17,
      path: 'spec.components[0].traits[1].type',
      message: 'duplicate trait "canary-traffic": a component may have each trait once (first on line 13)',
    });
  });

  test('GIVEN scaler next to rollout WHEN parsed THEN the combination is rejected', () => {
    // scaler is traits[1] on line 16; the rollout after it (traits[2], line 17) is the one reported
    expect(onlyIssue(edit(15, '            port: [8080]', '        - type: scaler'))).toMatchObject({
      line: 17,
      path: 'spec.components[0].traits[2].type',
      message:
        'a component cannot have both "scaler" and "rollout" traits: rollout.targetSize sets the replica count',
    });
  });

  test('GIVEN a rollout without targetSize WHEN parsed THEN it is missing at the properties line', () => {
    expect(onlyIssue(edit(18))).toEqual({
      line: 17,
      column: 11,
      path: 'spec.components[0].traits[1].properties.targetSize',
      message: 'missing required field "targetSize"',
    });
  });

  test('GIVEN whole-number batches that do not add up to targetSize WHEN parsed THEN the sum is shown', () => {
    expect(onlyIssue(edit(21, '              - replicas: 2'))).toEqual({
      line: 20,
      column: 15,
      path: 'spec.components[0].traits[1].properties.rolloutBatches',
      message:
        'the batches add up to 3 (1 + 2) but targetSize is 4; whole-number batches must add up to exactly targetSize',
    });
  });

  test('GIVEN batches before the last that already reach targetSize WHEN parsed THEN it is rejected', () => {
    const text = VALID.replace(
      '              - replicas: 1\n',
      '              - replicas: 50%\n              - replicas: 2\n',
    );
    expect(onlyIssue(text).message).toBe(
      'the batches before the last add up to 4 (50%=2 + 2), which leaves nothing for the last batch: they must add up to less than targetSize 4',
    );
  });

  test('GIVEN percentage batches WHEN parsed THEN they are accepted and kept as written', () => {
    const text = VALID.replace('replicas: 1\n', 'replicas: 25%\n').replace(
      'replicas: 3\n',
      'replicas: "75%"\n',
    );
    const { app } = parseApplication(text, FILE);
    expect(app.components[0]?.traits[1]?.properties).toMatchObject({
      rolloutBatches: [{ replicas: '25%' }, { replicas: '75%' }],
    });
  });

  test('GIVEN a percentage over 100 WHEN parsed THEN the batch size is rejected', () => {
    expect(onlyIssue(edit(21, '              - replicas: 150%'))).toMatchObject({
      line: 21,
      column: 27,
      path: 'spec.components[0].traits[1].properties.rolloutBatches[1].replicas',
    });
  });

  test('GIVEN a rollout batchPartition past the last batch WHEN parsed THEN it is accepted (it means all batches)', () => {
    expect(() =>
      parseApplication(edit(18, '            targetSize: 4', '            batchPartition: 7'), FILE),
    ).not.toThrow();
  });

  test('GIVEN a targetRevision of another component WHEN parsed THEN it is rejected', () => {
    expect(onlyIssue(edit(18, '            targetSize: 4', '            targetRevision: api-v1'))).toEqual({
      line: 19,
      column: 29,
      path: 'spec.components[0].traits[1].properties.targetRevision',
      message: '"api-v1" is not a revision of component "web": expected "web-v<N>"',
    });
  });

  test('GIVEN an istio-gateway match with two kinds WHEN parsed THEN exactly one is asked for', () => {
    const text = edit(
      15,
      '            port: [8080]',
      '        - type: istio-gateway',
      '          properties:',
      '            hosts: ["*"]',
      '            port: 8080',
      '            match:',
      '              - {exact: /a, prefix: /b}',
    );
    expect(onlyIssue(text)).toEqual({
      line: 21,
      column: 29,
      path: 'spec.components[0].traits[1].properties.match[0]',
      message: 'expected exactly one of "exact", "prefix", "regex", got "exact" and "prefix"',
    });
  });

  test('GIVEN a scaler without properties WHEN parsed THEN properties default to an empty mapping', () => {
    const text = VALID.replace(
      '  workflow:',
      '    - name: api\n      type: webservice\n      properties: {image: api:1}\n      traits:\n        - type: scaler\n  workflow:',
    );
    expect(parseApplication(text, FILE).app.components[1]?.traits).toEqual([
      { type: 'scaler', properties: {} },
    ]);
  });
});

describe('workflow steps', () => {
  test('GIVEN an unknown step type WHEN parsed THEN a close one is suggested', () => {
    expect(onlyIssue(edit(35, '        type: suspnd'))).toEqual({
      line: 35,
      column: 15,
      path: 'spec.workflow.steps[1].type',
      message: 'unknown step type "suspnd"; did you mean "suspend"?',
    });
  });

  test('GIVEN weights that do not add up to 100 WHEN parsed THEN the sum is reported on the list', () => {
    expect(onlyIssue(edit(33, '                weight: 35'))).toEqual({
      line: 30,
      column: 15,
      path: 'spec.workflow.steps[0].properties.traffic.weightedTargets',
      message: 'the weights add up to 110 (75 + 35); they must add up to 100',
    });
  });

  test('GIVEN a weight that is a string WHEN parsed THEN the exact path of the weight is given', () => {
    expect(onlyIssue(edit(31, '                weight: "75"'))).toMatchObject({
      line: 31,
      path: 'spec.workflow.steps[0].properties.traffic.weightedTargets[0].weight',
      message: 'expected an integer, got string "75"',
    });
  });

  test('GIVEN a revision of another component WHEN parsed THEN it is rejected', () => {
    expect(onlyIssue(edit(32, '              - revision: api-v2'))).toEqual({
      line: 32,
      column: 27,
      path: 'spec.workflow.steps[0].properties.traffic.weightedTargets[1].revision',
      message: '"api-v2" is not a revision of component "web": expected "web-v<N>"',
    });
  });

  test('GIVEN a batchPartition beyond the rollout batches WHEN parsed THEN it is out of range', () => {
    expect(onlyIssue(edit(27, '          batchPartition: 2'))).toEqual({
      line: 27,
      column: 27,
      path: 'spec.workflow.steps[0].properties.batchPartition',
      message: 'batchPartition 2 is out of range: component "web" rolls out in 2 batches (batches 0 to 1)',
    });
  });

  test('GIVEN a step naming a component that does not exist WHEN parsed THEN a close name is suggested', () => {
    expect(onlyIssue(edit(27, '          batchPartition: 0', '          component: wbe'))).toEqual({
      line: 28,
      column: 22,
      path: 'spec.workflow.steps[0].properties.component',
      message: 'unknown component "wbe"; did you mean "web"?',
    });
  });

  test('GIVEN no component has a rollout trait WHEN a canary-rollback step has no component THEN it is reported at the step', () => {
    const rollback = yaml(
      'apiVersion: core.oam.dev/v1beta1',
      'kind: Application',
      'metadata: {name: shop}',
      'spec:',
      '  components:',
      '    - {name: web, type: webservice, properties: {image: x}}',
      '  workflow:',
      '    steps:',
      '      - name: back',
      '        type: canary-rollback',
    );
    expect(onlyIssue(rollback)).toEqual({
      line: 9,
      column: 9,
      path: 'spec.workflow.steps[0].properties.component',
      message: 'a canary-rollback step needs a component with a "rollout" trait, and none has one',
    });
  });

  test('GIVEN two components with rollout WHEN a step does not name one THEN it asks which', () => {
    const text = VALID.replace(
      '  workflow:',
      '    - name: api\n      type: webservice\n      properties: {image: api:1}\n      traits: [{type: rollout, properties: {targetSize: 1}}]\n  workflow:',
    );
    const issues = issuesOf(text);
    expect(issues).toEqual([
      {
        file: FILE,
        line: 28,
        column: 9,
        path: 'spec.workflow.steps[0].properties.component',
        message:
          'several components have a "rollout" trait ("web", "api"): say which one with properties.component',
      },
    ]);
  });

  test('GIVEN a suspend duration without a unit WHEN parsed THEN a duration string is asked for', () => {
    expect(onlyIssue(edit(35, '        type: suspend', '        properties: {duration: 30}')).message).toBe(
      'expected a string, got integer 30 (quote it: "30")',
    );
    expect(
      parseApplication(
        edit(35, '        type: suspend', '        properties: {duration: 1h30m, message: check grafana}'),
        FILE,
      ).app.workflow?.[1],
    ).toEqual({
      name: 'approve',
      type: 'suspend',
      properties: { duration: '1h30m', message: 'check grafana' },
    });
  });

  test('GIVEN two steps with the same name WHEN parsed THEN the second is reported', () => {
    expect(onlyIssue(edit(34, '      - name: first'))).toEqual({
      line: 34,
      column: 15,
      path: 'spec.workflow.steps[1].name',
      message: 'duplicate step name "first" (first used on line 24)',
    });
  });
});

describe('numbers a cluster cannot hold', () => {
  test('GIVEN a targetSize past int32 WHEN parsed THEN it is refused at its line, saying why', () => {
    const text = edit(18, '            targetSize: 2147483648');
    expect(issuesOf(text).map((i) => [i.line, i.path, i.message])).toEqual([
      [
        18,
        'spec.components[0].traits[1].properties.targetSize',
        '2147483648 is out of range: expected an integer between 1 and 2147483647 (a Kubernetes int32)',
      ],
    ]);
  });
});

describe('one pass', () => {
  test('GIVEN a file with problems in several places WHEN parsed THEN all are reported, sorted by line', () => {
    let text = VALID;
    text = text.replace('kind: Application', 'kind: Aplication');
    text = text.replace('        port: 8080', '        port: 70000');
    text = text.replace('            port: [8080]', '            prot: [8080]');
    text = text.replace('                weight: 25', '                weight: 15');
    text = text.replace('        type: suspend', '        type: suspend\n        properties: {mesage: hi}');
    const issues = issuesOf(text);
    expect(issues.map((i) => [i.line, i.path, i.message])).toEqual([
      [2, 'kind', 'expected kind "Application", got "Aplication"'],
      [
        11,
        'spec.components[0].properties.port',
        '70000 is out of range: expected an integer between 1 and 65535',
      ],
      [14, 'spec.components[0].traits[0].properties.port', 'missing required field "port"'],
      [
        15,
        'spec.components[0].traits[0].properties.prot',
        'unknown field "prot" in canary-traffic properties; did you mean "port"?',
      ],
      [
        30,
        'spec.workflow.steps[0].properties.traffic.weightedTargets',
        'the weights add up to 90 (75 + 15); they must add up to 100',
      ],
      [
        36,
        'spec.workflow.steps[1].properties.mesage',
        'unknown field "mesage" in suspend properties; did you mean "message"?',
      ],
    ]);
    expect(issues.every((i) => i.file === FILE)).toBe(true);
  });
});
