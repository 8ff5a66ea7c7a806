/**
 * What each component type, trait and workflow step accepts, declared once. The parser walks the
 * Application envelope itself (so it can cross-check names between components and steps) and
 * hands each `properties` block to the schema named by its `type` here.
 */
import { isScalar } from 'yaml';
import type {
  BatchSize,
  CheckMetricsProperties,
  StepType,
  TraitType,
  WebserviceProperties,
  TraitOf,
  WorkflowStep,
} from './types.js';
import {
  custom,
  exactlyOneOf,
  integer,
  listOf,
  locateBelow,
  number,
  object,
  oneOf,
  opt,
  refine,
  req,
  string,
  stringMap,
  tagged,
  typeError,
  type ObjectSchema,
  type Schema,
  type StringOptions,
} from './validate.js';
import { DURATION, parseDuration } from '../duration.js';
import { resolveBatch } from './batch-size.js';
import { parseCondition, PLACEHOLDERS, prometheusUrlProblem, unknownPlaceholders } from './metric-syntax.js';

// ---------------------------------------------------------------------------------------------
// names

/** RFC 1123 label: what Kubernetes requires of most object names and of label values' shape. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_LABEL_WHAT =
  'a DNS-1123 label (at most 63 characters: lowercase letters, digits and "-", starting and ending with a letter or digit)';
export const dnsLabel: StringOptions = { pattern: DNS_LABEL, maxLength: 63, what: DNS_LABEL_WHAT };

/**
 * Component names become Service names, which Kubernetes holds to RFC 1035 (must start with a
 * letter), and revisions `<component>-v<N>`, which are label values (`app.oam.dev/revision`) and
 * Istio subset names: both at most 63 characters. A real server refuses a longer one (422) only
 * once a rollout is under way, so the name is held to 55: room for `-v` and six digits of N.
 */
export const MAX_COMPONENT_NAME = 55;
export const COMPONENT_NAME: StringOptions = {
  pattern: /^[a-z]([-a-z0-9]*[a-z0-9])?$/,
  maxLength: MAX_COMPONENT_NAME,
  what: `a DNS-1035 label of at most ${MAX_COMPONENT_NAME} characters (lowercase letters, digits and "-", starting with a letter and ending with a letter or digit): its revisions "<name>-v<N>" are label values and Istio subset names, which may be at most 63 characters, and ${MAX_COMPONENT_NAME} leaves room for revision numbers up to 999999`,
};

/** Step names are recorded in workflow state; dots are allowed as KubeVela examples use them. */
export const STEP_NAME: StringOptions = {
  pattern: /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/,
  maxLength: 63,
  what: 'at most 63 characters: lowercase letters, digits, "-" and ".", starting and ending with a letter or digit',
};

/** `<component>-v<N>`, N >= 1. */
export function revisionPattern(component: string): RegExp {
  return new RegExp(`^${component.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-v[1-9][0-9]*$`);
}

const LABEL_NAME = '([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)';
const DNS_SUBDOMAIN = '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*';
/** Kubernetes label and annotation keys: optional `prefix/` (a DNS subdomain) and a name of at most 63. */
const QUALIFIED_KEY: StringOptions = {
  pattern: new RegExp(`^((?=.{1,253}/)${DNS_SUBDOMAIN}/)?(?=.{1,63}$)${LABEL_NAME}$`),
  what: 'a Kubernetes label key: an optional DNS-subdomain prefix and "/", then at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit',
};
const LABEL_VALUE: StringOptions = {
  pattern: new RegExp(`^(${LABEL_NAME})?$`),
  maxLength: 63,
  allowEmpty: true,
  what: 'a Kubernetes label value: at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit',
};
export const labels = stringMap({ key: QUALIFIED_KEY, value: LABEL_VALUE });
export const annotations = stringMap({ key: QUALIFIED_KEY });

// ---------------------------------------------------------------------------------------------
// webservice

const text = string();
const port = integer({ min: 1, max: 65535 });
/** IANA service name, what Kubernetes requires of a named container port. */
const portName = string({
  pattern: /^(?=.*[a-z])[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
  maxLength: 15,
  what: 'an IANA service name (at most 15 lowercase letters, digits and "-", with at least one letter)',
});

const QUANTITY = /^[+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([KMGTPE]i|[numkMGTPE]|[eE][+-]?[0-9]+)?$/;
const quantity: StringOptions = {
  pattern: QUANTITY,
  what: 'a Kubernetes quantity such as "500m", "2", "128Mi" or "1Gi"',
};
const memory = string(quantity);
/** `cpu: 0.5` is written as a number in many files; Kubernetes reads both, so keep the digits as written. */
const cpu = custom<string>('a CPU quantity', (cur, ctx) => {
  const n = cur.node;
  if (isScalar(n) && typeof n.value === 'number' && n.value > 0) {
    const source = (n as { source?: unknown }).source;
    return typeof source === 'string' && QUANTITY.test(source) ? source : String(n.value);
  }
  if (isScalar(n) && typeof n.value === 'string') return string(quantity).check(cur, ctx);
  return typeError(cur, ctx, 'a CPU quantity (a number such as 0.5 or a string such as "500m")');
});

const keyRef = object({ name: req(text), key: req(text) });
const envVar = object(
  {
    name: req(text),
    value: opt(string({ allowEmpty: true })),
    valueFrom: opt(
      object(
        { secretKeyRef: opt(keyRef), configMapKeyRef: opt(keyRef) },
        { exactlyOne: ['secretKeyRef', 'configMapKeyRef'] },
      ),
    ),
  },
  { atMostOne: ['value', 'valueFrom'] },
);

const portSpec = object({
  port: req(port),
  name: opt(portName),
  protocol: opt(oneOf(['TCP', 'UDP', 'SCTP'], 'protocol')),
});

const defaultMode = integer({ min: 0, max: 0o777 });
const volume = tagged(
  'type',
  { name: req(string(dnsLabel)), mountPath: req(text) },
  {
    emptyDir: { medium: opt(oneOf(['', 'Memory'], 'medium')) },
    configMap: { cmName: req(string(dnsLabel)), defaultMode: opt(defaultMode) },
    secret: { secretName: req(text), defaultMode: opt(defaultMode) },
    pvc: { claimName: req(text) },
  },
  'volume',
);

/** Replica counts and partitions are int32 fields of the Kubernetes API: a larger one is refused by the server. */
const INT32 = { max: 2 ** 31 - 1, why: 'a Kubernetes int32' };
const nonNegative = integer({ min: 0, ...INT32 });
const positive = integer({ min: 1, ...INT32 });
const probe = object(
  {
    exec: opt(object({ command: req(listOf(text, { nonEmpty: true })) })),
    httpGet: opt(
      object({
        path: opt(text),
        port: req(port),
        httpHeaders: opt(listOf(object({ name: req(text), value: req(string({ allowEmpty: true })) }))),
      }),
    ),
    tcpSocket: opt(object({ port: req(port) })),
    initialDelaySeconds: opt(nonNegative),
    periodSeconds: opt(positive),
    timeoutSeconds: opt(positive),
    successThreshold: opt(positive),
    failureThreshold: opt(positive),
  },
  // Kubernetes rejects a probe with no handler, or with more than one.
  { exactlyOne: ['exec', 'httpGet', 'tcpSocket'] },
);

/** Reports the second occurrence of a key in a list of items. */
function uniqueBy<T>(key: (item: T) => string | number | undefined, field: string, what: string) {
  return (items: T[], report: (sub: string, message: string) => void): void => {
    const first = new Map<string | number, number>();
    items.forEach((item, i) => {
      const k = key(item);
      if (k === undefined) return;
      const prev = first.get(k);
      if (prev === undefined) first.set(k, i);
      else report(`[${i}]${field}`, `duplicate ${what} ${JSON.stringify(k)} (already used by item ${prev})`);
    });
  };
}

const webservice = object(
  {
    image: req(text),
    port: opt(port),
    ports: opt(
      refine(
        listOf(portSpec),
        uniqueBy((p) => p.name, '.name', 'port name'),
        locateBelow,
      ),
    ),
    cmd: opt(listOf(text)),
    args: opt(listOf(string({ allowEmpty: true }))),
    env: opt(listOf(envVar)),
    cpu: opt(cpu),
    memory: opt(memory),
    imagePullPolicy: opt(oneOf(['Always', 'Never', 'IfNotPresent'], 'imagePullPolicy')),
    imagePullSecrets: opt(listOf(string(dnsLabel))),
    volumes: opt(
      refine(
        listOf(volume),
        uniqueBy((v) => v.name, '.name', 'volume name'),
        locateBelow,
      ),
    ),
    livenessProbe: opt(probe),
    readinessProbe: opt(probe),
    labels: opt(labels),
    annotations: opt(annotations),
  },
  { what: 'webservice properties' },
);

export const componentTypes = { webservice } satisfies Record<
  'webservice',
  ObjectSchema<WebserviceProperties>
>;

// ---------------------------------------------------------------------------------------------
// traits

const portList = refine(
  listOf(port, { nonEmpty: true }),
  uniqueBy((p) => p, '', 'port'),
  locateBelow,
);

const expose = object(
  { port: req(portList), type: opt(oneOf(['ClusterIP', 'NodePort', 'LoadBalancer'], 'service type')) },
  { what: 'expose properties' },
);

const scaler = object({ replicas: opt(nonNegative) }, { what: 'scaler properties' });

const uriMatch = exactlyOneOf({ exact: text, prefix: text, regex: text }, 'a URI match');
const istioGateway = object(
  {
    hosts: req(listOf(text, { nonEmpty: true })),
    gateway: opt(string(LABEL_VALUE)),
    match: req(listOf(uriMatch, { nonEmpty: true })),
    port: req(port),
  },
  { what: 'istio-gateway properties' },
);

const canaryTraffic = object({ port: req(portList) }, { what: 'canary-traffic properties' });

/** `replicas` of a rollout batch: a whole number >= 1 or "N%" with N in 1..100. */
const batchSize = custom<BatchSize>('a batch size', (cur, ctx) => {
  const v = isScalar(cur.node) ? cur.node.value : undefined;
  if (typeof v === 'string') {
    const m = /^([0-9]+)%$/.exec(v);
    const pct = m ? Number(m[1]) : NaN;
    if (pct >= 1 && pct <= 100) return v as `${number}%`;
    ctx.report(
      cur.pos,
      cur.path,
      `${JSON.stringify(v)} is not a valid batch size: expected a whole number of replicas (>= 1) or a percentage from "1%" to "100%"`,
    );
    return undefined;
  }
  return integer({ min: 1, ...INT32 }).check(cur, ctx);
});

export { resolveBatch };

/**
 * As KubeVela's verifyBatchesWithRollout: the batches before the last must leave something
 * for the last one, and whole-number batches must add up exactly. batchPartition past the last
 * batch is accepted and means "all batches", as KubeVela treats it.
 */
const rollout = refine(
  object(
    {
      targetSize: req(positive),
      rolloutBatches: opt(
        listOf(object({ replicas: req(batchSize) }), {
          nonEmpty: 'must list at least one batch (or leave rolloutBatches out for a single batch)',
        }),
      ),
      batchPartition: opt(nonNegative),
      targetRevision: opt(text),
    },
    { what: 'rollout properties' },
  ),
  (p, report) => {
    const batches = p.rolloutBatches;
    if (!batches || batches.length === 0) return;
    const sizes = batches.map((b) => resolveBatch(b.replicas, p.targetSize));
    const beforeLast = sizes.slice(0, -1).reduce((a, b) => a + b, 0);
    const total = beforeLast + (sizes[sizes.length - 1] ?? 0);
    const shown = (upTo: number) =>
      batches
        .slice(0, upTo)
        .map((b, i) => (typeof b.replicas === 'number' ? String(b.replicas) : `${b.replicas}=${sizes[i]}`))
        .join(' + ');
    if (batches.length > 1 && beforeLast >= p.targetSize) {
      report(
        '.rolloutBatches',
        `the batches before the last add up to ${beforeLast} (${shown(batches.length - 1)}), which leaves nothing for the last batch: they must add up to less than targetSize ${p.targetSize}`,
      );
    } else if (batches.every((b) => typeof b.replicas === 'number') && total !== p.targetSize) {
      report(
        '.rolloutBatches',
        `the batches add up to ${total} (${shown(batches.length)}) but targetSize is ${p.targetSize}; whole-number batches must add up to exactly targetSize`,
      );
    }
  },
  locateBelow,
);

export const traitTypes = {
  expose,
  scaler,
  'istio-gateway': istioGateway,
  'canary-traffic': canaryTraffic,
  rollout,
} satisfies { [T in TraitType]: Schema<TraitOf<T>['properties']> };

// ---------------------------------------------------------------------------------------------
// workflow steps

/** Go-style durations as KubeVela's suspend step takes them: 30s, 5m, 1h30m, 500ms. */
const duration = string({
  pattern: DURATION,
  what: 'a duration such as "30s", "5m", "1h30m" or "500ms"',
});

const weightedTargets = refine(
  listOf(object({ revision: req(text), weight: req(integer({ min: 0, max: 100 })) }), { nonEmpty: true }),
  (targets, report) => {
    uniqueBy<{ revision: string }>((t) => t.revision, '.revision', 'revision')(targets, report);
    const sum = targets.reduce((a, t) => a + t.weight, 0);
    if (sum !== 100)
      report(
        '',
        `the weights add up to ${sum} (${targets.map((t) => t.weight).join(' + ')}); they must add up to 100`,
      );
  },
  locateBelow,
);

const canaryRollout = object(
  {
    batchPartition: opt(nonNegative),
    traffic: opt(object({ weightedTargets: req(weightedTargets) })),
    component: opt(text),
  },
  { what: 'canary-rollout properties' },
);
const suspend = object(
  { duration: opt(duration), message: opt(string({ allowEmpty: true })) },
  { what: 'suspend properties' },
);
const canaryRollback = object(
  { rollbackVersion: opt(text), component: opt(text) },
  { what: 'canary-rollback properties' },
);

/** An http(s) URL, as Prometheus' address is written (`http://prometheus.istio-system.svc:9090`). */
const endpoint = custom<string>('an http or https URL', (cur, ctx) => {
  const v = string().check(cur, ctx);
  if (v === undefined) return undefined;
  const problem = prometheusUrlProblem(v);
  if (!problem) return v;
  ctx.report(cur.pos, cur.path, `${JSON.stringify(v)} is not valid: ${problem}`);
  return undefined;
});

const checkMetricsFields = object(
  {
    query: opt(text),
    condition: opt(text),
    metric: opt(oneOf(['request-success-rate', 'request-duration'] as const, 'metric')),
    thresholdRange: opt(object({ min: opt(number()), max: opt(number()) }, { what: 'thresholdRange' })),
    window: opt(duration),
    duration: opt(duration),
    failDuration: opt(duration),
    interval: opt(duration),
    metricEndpoint: opt(endpoint),
    component: opt(text),
  },
  { what: 'check-metrics properties', exactlyOne: ['query', 'metric'] },
);
/**
 * KubeVela's check-metrics (`query` + `condition`), or a built-in check (`metric` +
 * `thresholdRange`); what would only fail once the gate runs is refused here.
 */
const checkMetricsRules = refine(
  checkMetricsFields,
  (p, report) => {
    if (p.query !== undefined) {
      if (p.condition === undefined)
        report('', 'a check-metrics step with a query needs a condition, such as ">=0.95"');
      else if (!parseCondition(p.condition))
        report(
          '.condition',
          `${JSON.stringify(p.condition)} is not a condition vela-ts can read: write one comparison with a number, such as ">=0.95", "<500" or "==1"`,
        );
      if (p.thresholdRange)
        report(
          '.thresholdRange',
          'thresholdRange belongs to a built-in metric; with a query, write a condition',
        );
      const unknown = unknownPlaceholders(p.query);
      if (unknown.length > 0)
        report(
          '.query',
          `unknown placeholder ${unknown.map((u) => `{{${u}}}`).join(', ')}: a query may use ${PLACEHOLDERS.map((n) => `{{${n}}}`).join(', ')}`,
        );
    }
    if (p.metric !== undefined) {
      if (p.condition !== undefined)
        report('.condition', `the built-in metric ${p.metric} takes thresholdRange, not a condition`);
      const range = p.thresholdRange;
      const wanted = p.metric === 'request-success-rate' ? 'min' : 'max';
      const example =
        p.metric === 'request-success-rate' ? '{ min: 99 } (percent)' : '{ max: 500 } (milliseconds)';
      if (!range || (range.min === undefined && range.max === undefined))
        report('', `the built-in metric ${p.metric} needs thresholdRange ${example}`);
      else if (range[wanted] === undefined)
        report('.thresholdRange', `${p.metric} needs thresholdRange.${wanted}, such as ${example}`);
      if (range?.min !== undefined && range.max !== undefined && range.min > range.max)
        report('.thresholdRange', `min ${range.min} is above max ${range.max}: no value can pass`);
    }
    if (p.interval !== undefined && (parseDuration(p.interval) ?? 0) < 1000)
      report('.interval', `interval ${p.interval} is too short: measure at most once a second`);
    if (p.window !== undefined && (parseDuration(p.window) ?? 0) < 1000)
      report(
        '.window',
        `window ${p.window} is too short for rate(): at least 1s (Prometheus needs two samples in it)`,
      );
  },
  locateBelow,
);
const checkMetrics: ObjectSchema<CheckMetricsProperties> = {
  ...checkMetricsFields,
  check: (cur, ctx) => checkMetricsRules.check(cur, ctx),
};

type StepOf<T extends StepType> = Extract<WorkflowStep, { type: T }>;
export const stepTypes = {
  'canary-rollout': canaryRollout,
  suspend,
  'canary-rollback': canaryRollback,
  'check-metrics': checkMetrics,
} satisfies { [T in StepType]: ObjectSchema<StepOf<T>['properties']> };
