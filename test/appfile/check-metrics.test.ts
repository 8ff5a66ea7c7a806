import { parseApplication } from '../../src/appfile/parse.js';
import { FILE, VALID, onlyIssue } from './support.js';

/** VALID with a check-metrics step appended (line 36 on: `- name: gate`, 37 `type`, 38 `properties:`, its fields from 39). */
const withGate = (...lines: string[]) =>
  VALID +
  ['      - name: gate', '        type: check-metrics', '        properties:', ...lines].join('\n') +
  '\n';

describe('check-metrics steps in the file', () => {
  test("GIVEN KubeVela's own properties THEN they are read unchanged", () => {
    const { app } = parseApplication(
      withGate(
        '          query: sum(rate(x[1m]))',
        '          condition: ">=0.95"',
        '          duration: 2m',
        '          failDuration: 30s',
        '          metricEndpoint: http://prometheus-server.o11y-system.svc:9090',
      ),
      FILE,
    );
    expect(app.workflow?.[2]).toEqual({
      name: 'gate',
      type: 'check-metrics',
      properties: {
        query: 'sum(rate(x[1m]))',
        condition: '>=0.95',
        duration: '2m',
        failDuration: '30s',
        metricEndpoint: 'http://prometheus-server.o11y-system.svc:9090',
      },
    });
  });

  test('GIVEN a built-in metric with a step timeout THEN both are read', () => {
    const text =
      withGate(
        '          metric: request-success-rate',
        '          thresholdRange: { min: 99.5 }',
        '          interval: 5s',
      ) + '        timeout: 10m\n';
    expect(parseApplication(text, FILE).app.workflow?.[2]).toEqual({
      name: 'gate',
      type: 'check-metrics',
      properties: { metric: 'request-success-rate', thresholdRange: { min: 99.5 }, interval: '5s' },
      timeout: '10m',
    });
  });

  test.each([
    [
      ['          query: up', '          condition: "at least 0.95"'],
      40,
      'spec.workflow.steps[2].properties.condition',
      '"at least 0.95" is not a condition vela-ts can read: write one comparison with a number, such as ">=0.95", "<500" or "==1"',
    ],
    [
      ['          query: up'],
      39,
      'spec.workflow.steps[2].properties',
      'a check-metrics step with a query needs a condition, such as ">=0.95"',
    ],
    [
      ['          query: up', '          metric: request-duration', '          condition: "<1"'],
      40,
      'spec.workflow.steps[2].properties',
      'expected exactly one of "query", "metric", got "query" and "metric"',
    ],
    [
      ['          metric: request-duration', '          thresholdRange: { min: 1 }'],
      40,
      'spec.workflow.steps[2].properties.thresholdRange',
      'request-duration needs thresholdRange.max, such as { max: 500 } (milliseconds)',
    ],
    [
      [
        '          metric: request-success-rate',
        '          thresholdRange: { min: 99 }',
        '          duration: 5 minutes',
      ],
      41,
      'spec.workflow.steps[2].properties.duration',
      '"5 minutes" is not valid: must be a duration such as "30s", "5m", "1h30m" or "500ms"',
    ],
    [
      ['          query: "x{w=\\"{{ revision }}\\"}"', '          condition: ">0"'],
      39,
      'spec.workflow.steps[2].properties.query',
      'unknown placeholder {{revision}}: a query may use {{namespace}}, {{component}}, {{canary}}, {{stable}}, {{window}}',
    ],
    [
      ['          query: up', '          condition: ">0"', '          metricEndpoint: prometheus:9090'],
      41,
      'spec.workflow.steps[2].properties.metricEndpoint',
      '"prometheus:9090" is not valid: must be an http or https URL such as "http://prometheus.istio-system.svc:9090"',
    ],
  ])('GIVEN %j THEN line %i %s says so', (lines, line, path, message) => {
    expect(onlyIssue(withGate(...lines))).toMatchObject({ line, path, message });
  });

  test('GIVEN a timeout on another kind of step THEN it is refused where it is', () => {
    const text = VALID.replace('        type: suspend\n', '        type: suspend\n        timeout: 5m\n');
    expect(onlyIssue(text)).toMatchObject({
      line: 36,
      path: 'spec.workflow.steps[1].timeout',
      message: expect.stringMatching(/^a suspend step takes no timeout: only check-metrics steps do/),
    });
  });
});
