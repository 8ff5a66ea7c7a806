import { toCoreEvent } from './events-v1.js';
import { jsonPathMatches, JsonPathError } from './jsonpath.js';
import type { PrinterColumn, ResourceType } from './registry.js';
import { fieldDescription } from './schema.js';
import { asText, isObj, type KObject, type Obj } from './util.js';

/**
 * The columns and cells a 1.32 apiserver puts in a Table, per kind: the built-in printers of
 * kubernetes pkg/printers/internalversion/printers.go, the CRD table convertor of
 * apiextensions-apiserver (additionalPrinterColumns), and the default convertor of
 * apiserver pkg/registry/rest/table.go for everything else. The server sends every column,
 * wide ones (priority 1) included; kubectl hides those unless `-o wide`.
 */

export interface ColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export interface TableRowCells {
  cells: unknown[];
  /** Only pods carry row conditions (Completed, for Succeeded and Failed pods). */
  conditions?: Obj[];
}

export interface Printer {
  columns: ColumnDefinition[];
  row(obj: KObject, now: number): TableRowCells;
}

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

function column(
  name: string,
  type: string,
  description: string,
  extra: { format?: string; priority?: number } = {},
): ColumnDefinition {
  return { name, type, format: extra.format ?? '', description, priority: extra.priority ?? 0 };
}

const nameColumn = () => column('Name', 'string', fieldDescription(META, 'name'), { format: 'name' });
const ageColumn = () => column('Age', 'string', fieldDescription(META, 'creationTimestamp'));
const wide = { priority: 1 };

// ---------------------------------------------------------------- formatting helpers (Go's)

/** apimachinery util/duration.HumanDuration: ~2-3 significant figures, tolerating 1s of clock skew. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(ms / 3_600_000);
  const days = Math.trunc(hours / 24);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${days}d` : `${days}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.trunc(days / 365);
  if (hours < 24 * 365 * 8) {
    const dy = days % 365;
    return dy === 0 ? `${years}y` : `${years}y${dy}d`;
  }
  return `${years}y`;
}

/** printers.go translateTimestampSince. */
function since(timestamp: unknown, now: number): string {
  const t = typeof timestamp === 'string' ? Date.parse(timestamp) : NaN;
  if (!Number.isFinite(t)) return '<unknown>';
  return humanDuration(now - t);
}

const obj = (v: unknown): Obj => (isObj(v) ? v : {});
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter(isObj) : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const int = (v: unknown): number => (typeof v === 'number' ? Math.trunc(v) : 0);

/** labels.FormatLabels: `k=v` pairs sorted by key, `<none>` when empty. */
function formatLabels(m: unknown): string {
  const s = Object.entries(obj(m))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${str(v)}`)
    .join(',');
  return s || '<none>';
}

/** metav1.LabelSelectorAsSelector(sel).String(): requirements sorted by key, `""` for none. */
function selectorString(sel: unknown): string {
  const s = obj(sel);
  const reqs: Array<[string, string]> = Object.entries(obj(s.matchLabels)).map(([k, v]) => [
    k,
    `${k}=${str(v)}`,
  ]);
  for (const e of list(s.matchExpressions)) {
    const key = str(e.key);
    const values = (Array.isArray(e.values) ? (e.values as unknown[]).map(str) : []).sort();
    const text =
      e.operator === 'In'
        ? `${key} in (${values.join(',')})`
        : e.operator === 'NotIn'
          ? `${key} notin (${values.join(',')})`
          : e.operator === 'Exists'
            ? key
            : `!${key}`;
    reqs.push([key, text]);
  }
  return reqs
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, t]) => t)
    .join(',');
}

/** printers.go layoutContainerCells: names and images, comma-separated. */
function containerCells(containers: unknown): [string, string] {
  const cs = list(containers);
  return [cs.map((c) => str(c.name)).join(','), cs.map((c) => str(c.image)).join(',')];
}

// ---------------------------------------------------------------- built-in printers

function podPrinter(): Printer {
  const core = 'io.k8s.api.core.v1';
  return {
    columns: [
      nameColumn(),
      column('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
      column('Status', 'string', 'The aggregate status of the containers in this pod.'),
      column(
        'Restarts',
        'string',
        'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
      ),
      ageColumn(),
      column('IP', 'string', fieldDescription(`${core}.PodStatus`, 'podIP'), wide),
      column('Node', 'string', fieldDescription(`${core}.PodSpec`, 'nodeName'), wide),
      column('Nominated Node', 'string', fieldDescription(`${core}.PodStatus`, 'nominatedNodeName'), wide),
      column('Readiness Gates', 'string', fieldDescription(`${core}.PodSpec`, 'readinessGates'), wide),
    ],
    row: printPod,
  };
}

/** printers.go printPod, line for line where the sandbox's pods can reach it. */
function printPod(pod: KObject, now: number): TableRowCells {
  const spec = obj(pod.spec);
  const status = obj(pod.status);
  const conditions = list(status.conditions);
  const initContainers = list(spec.initContainers);
  const restartable = (c: Obj | undefined) => c?.restartPolicy === 'Always';
  const finishedAt = (cs: Obj) => {
    const t = Date.parse(str(obj(obj(cs.lastState).terminated).finishedAt));
    return Number.isFinite(t) ? t : 0;
  };

  let restarts = 0;
  let restartableInitRestarts = 0;
  let totalContainers = list(spec.containers).length;
  let readyContainers = 0;
  let lastRestart = 0;
  let lastRestartableInitRestart = 0;
  const phase = str(status.phase);
  let reason = str(status.reason) || phase;
  for (const c of conditions)
    if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';

  const row: TableRowCells = { cells: [] };
  if (phase === 'Succeeded' || phase === 'Failed') {
    row.conditions = [
      {
        type: 'Completed',
        status: 'True',
        reason: phase,
        message: phase === 'Succeeded' ? 'The pod has completed successfully.' : 'The pod failed.',
      },
    ];
  }

  const initByName = new Map<string, Obj>();
  for (const c of initContainers) {
    initByName.set(str(c.name), c);
    if (restartable(c)) totalContainers++;
  }

  let initializing = false;
  const initStatuses = list(status.initContainerStatuses);
  for (const [i, cs] of initStatuses.entries()) {
    restarts += int(cs.restartCount);
    lastRestart = Math.max(lastRestart, finishedAt(cs));
    const sidecar = restartable(initByName.get(str(cs.name)));
    if (sidecar) {
      restartableInitRestarts += int(cs.restartCount);
      lastRestartableInitRestart = Math.max(lastRestartableInitRestart, finishedAt(cs));
    }
    const state = obj(cs.state);
    const terminated = isObj(state.terminated) ? state.terminated : undefined;
    const waiting = isObj(state.waiting) ? state.waiting : undefined;
    if (terminated && int(terminated.exitCode) === 0) continue;
    if (sidecar && cs.started === true) {
      if (cs.ready === true) readyContainers++;
      continue;
    }
    if (terminated) {
      if (str(terminated.reason)) reason = `Init:${str(terminated.reason)}`;
      else if (int(terminated.signal) !== 0) reason = `Init:Signal:${int(terminated.signal)}`;
      else reason = `Init:ExitCode:${int(terminated.exitCode)}`;
    } else if (waiting && str(waiting.reason) && waiting.reason !== 'PodInitializing') {
      reason = `Init:${str(waiting.reason)}`;
    } else {
      reason = `Init:${i}/${initContainers.length}`;
    }
    initializing = true;
    break;
  }

  const initialized = conditions.some((c) => c.type === 'Initialized' && c.status === 'True');
  if (!initializing || initialized) {
    restarts = restartableInitRestarts;
    lastRestart = lastRestartableInitRestart;
    let hasRunning = false;
    const statuses = list(status.containerStatuses);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i]!;
      restarts += int(cs.restartCount);
      lastRestart = Math.max(lastRestart, finishedAt(cs));
      const state = obj(cs.state);
      const terminated = isObj(state.terminated) ? state.terminated : undefined;
      const waiting = isObj(state.waiting) ? state.waiting : undefined;
      if (waiting && str(waiting.reason)) reason = str(waiting.reason);
      else if (terminated && str(terminated.reason)) reason = str(terminated.reason);
      else if (terminated) {
        reason =
          int(terminated.signal) !== 0
            ? `Signal:${int(terminated.signal)}`
            : `ExitCode:${int(terminated.exitCode)}`;
      } else if (cs.ready === true && isObj(state.running)) {
        hasRunning = true;
        readyContainers++;
      }
    }
    // A pod whose last container completed but another still runs is shown as running again.
    if (reason === 'Completed' && hasRunning) {
      const ready = conditions.some((c) => c.type === 'Ready' && c.status === 'True');
      reason = ready ? 'Running' : 'NotReady';
    }
  }

  if (pod.metadata.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed')
    reason = 'Terminating';

  const restartText =
    restarts !== 0 && lastRestart !== 0
      ? `${restarts} (${humanDuration(now - lastRestart)} ago)`
      : String(restarts);

  const podIPs = list(status.podIPs);
  const gates = list(spec.readinessGates);
  let readinessGates = '<none>';
  if (gates.length) {
    const trueGates = gates.filter((g) =>
      conditions.some((c) => c.type === g.conditionType && c.status === 'True'),
    ).length;
    readinessGates = `${trueGates}/${gates.length}`;
  }
  row.cells = [
    pod.metadata.name,
    `${readyContainers}/${totalContainers}`,
    reason,
    restartText,
    since(pod.metadata.creationTimestamp, now),
    str(podIPs[0]?.ip) || '<none>',
    str(spec.nodeName) || '<none>',
    str(status.nominatedNodeName) || '<none>',
    readinessGates,
  ];
  return row;
}

function deploymentPrinter(): Printer {
  const apps = 'io.k8s.api.apps.v1';
  return {
    columns: [
      nameColumn(),
      column('Ready', 'string', 'Number of the pod with ready state'),
      column('Up-to-date', 'string', fieldDescription(`${apps}.DeploymentStatus`, 'updatedReplicas')),
      column('Available', 'string', fieldDescription(`${apps}.DeploymentStatus`, 'availableReplicas')),
      ageColumn(),
      column('Containers', 'string', 'Names of each container in the template.', wide),
      column('Images', 'string', 'Images referenced by each container in the template.', wide),
      column('Selector', 'string', fieldDescription(`${apps}.DeploymentSpec`, 'selector'), wide),
    ],
    row: (d, now) => {
      const spec = obj(d.spec);
      const status = obj(d.status);
      const [names, images] = containerCells(obj(obj(spec.template).spec).containers);
      return {
        cells: [
          d.metadata.name,
          `${int(status.readyReplicas)}/${int(spec.replicas)}`,
          int(status.updatedReplicas),
          int(status.availableReplicas),
          since(d.metadata.creationTimestamp, now),
          names,
          images,
          selectorString(spec.selector),
        ],
      };
    },
  };
}

function replicaSetPrinter(): Printer {
  const apps = 'io.k8s.api.apps.v1';
  return {
    columns: [
      nameColumn(),
      column('Desired', 'integer', fieldDescription(`${apps}.ReplicaSetSpec`, 'replicas')),
      column('Current', 'integer', fieldDescription(`${apps}.ReplicaSetStatus`, 'replicas')),
      column('Ready', 'integer', fieldDescription(`${apps}.ReplicaSetStatus`, 'readyReplicas')),
      ageColumn(),
      column('Containers', 'string', 'Names of each container in the template.', wide),
      column('Images', 'string', 'Images referenced by each container in the template.', wide),
      column('Selector', 'string', fieldDescription(`${apps}.ReplicaSetSpec`, 'selector'), wide),
    ],
    row: (rs, now) => {
      const spec = obj(rs.spec);
      const status = obj(rs.status);
      const [names, images] = containerCells(obj(obj(spec.template).spec).containers);
      return {
        cells: [
          rs.metadata.name,
          typeof spec.replicas === 'number' ? int(spec.replicas) : 1,
          int(status.replicas),
          int(status.readyReplicas),
          since(rs.metadata.creationTimestamp, now),
          names,
          images,
          selectorString(spec.selector),
        ],
      };
    },
  };
}

/** printers.go printEvent (the server prints wide: every cell). */
function eventPrinter(): Printer {
  const ev = 'io.k8s.api.core.v1.Event';
  return {
    columns: [
      column('Last Seen', 'string', fieldDescription(ev, 'lastTimestamp')),
      column('Type', 'string', fieldDescription(ev, 'type')),
      column('Reason', 'string', fieldDescription(ev, 'reason')),
      column('Object', 'string', fieldDescription(ev, 'involvedObject')),
      column(
        'Subobject',
        'string',
        fieldDescription('io.k8s.api.core.v1.ObjectReference', 'fieldPath'),
        wide,
      ),
      column('Source', 'string', fieldDescription(ev, 'source'), wide),
      column('Message', 'string', fieldDescription(ev, 'message')),
      column('First Seen', 'string', fieldDescription(ev, 'firstTimestamp'), wide),
      column('Count', 'string', fieldDescription(ev, 'count'), wide),
      column('Name', 'string', fieldDescription(META, 'name'), { ...wide, format: 'name' }),
    ],
    row: (e, now) => {
      const involved = obj(e.involvedObject);
      const source = obj(e.source);
      const series = obj(e.series);
      let first = str(e.firstTimestamp) ? since(e.firstTimestamp, now) : since(e.eventTime, now);
      let last = str(e.lastTimestamp) ? since(e.lastTimestamp, now) : first;
      let count = int(e.count);
      if (isObj(e.series)) {
        last = since(series.lastObservedTime, now);
        count = int(series.count);
      } else if (count === 0) count = 1;
      if (!str(e.firstTimestamp) && !str(e.eventTime)) first = '<unknown>';
      const kind = str(involved.kind).toLowerCase();
      const target = str(involved.name) ? `${kind}/${str(involved.name)}` : kind;
      const component = str(source.component) || str(e.reportingComponent);
      const instance = str(source.host) || str(e.reportingInstance);
      return {
        cells: [
          last,
          str(e.type),
          str(e.reason),
          target,
          str(involved.fieldPath),
          instance ? `${component}, ${instance}` : component,
          str(e.message).trim(),
          first,
          count,
          e.metadata.name,
        ],
      };
    },
  };
}

/** printers.go getServiceExternalIP, wide (the server never clips the load-balancer list). */
function serviceExternalIP(spec: Obj, status: Obj): string {
  const externalIPs = Array.isArray(spec.externalIPs) ? (spec.externalIPs as unknown[]).map(str) : [];
  switch (spec.type) {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = [
        ...new Set(list(obj(status.loadBalancer).ingress).map((i) => str(i.ip) || str(i.hostname))),
      ].filter(Boolean);
      if (externalIPs.length) return [...lb, ...externalIPs].join(',');
      return lb.length ? lb.join(',') : '<pending>';
    }
    case 'ExternalName':
      return str(spec.externalName);
    default:
      return '<unknown>';
  }
}

function servicePrinter(): Printer {
  const svc = 'io.k8s.api.core.v1.ServiceSpec';
  return {
    columns: [
      nameColumn(),
      column('Type', 'string', fieldDescription(svc, 'type')),
      column('Cluster-IP', 'string', fieldDescription(svc, 'clusterIP')),
      column('External-IP', 'string', fieldDescription(svc, 'externalIPs')),
      column('Port(s)', 'string', fieldDescription(svc, 'ports')),
      ageColumn(),
      column('Selector', 'string', fieldDescription(svc, 'selector'), wide),
    ],
    row: (s, now) => {
      const spec = obj(s.spec);
      const clusterIPs = Array.isArray(spec.clusterIPs) ? (spec.clusterIPs as unknown[]) : [];
      const ports = list(spec.ports)
        .map((p) =>
          int(p.nodePort) > 0
            ? `${int(p.port)}:${int(p.nodePort)}/${str(p.protocol)}`
            : `${int(p.port)}/${str(p.protocol)}`,
        )
        .join(',');
      return {
        cells: [
          s.metadata.name,
          str(spec.type),
          clusterIPs.length ? str(clusterIPs[0]) : '<none>',
          serviceExternalIP(spec, obj(s.status)),
          ports || '<none>',
          since(s.metadata.creationTimestamp, now),
          formatLabels(spec.selector),
        ],
      };
    },
  };
}

const BUILTIN: Record<string, () => Printer> = {
  '/Pod': podPrinter,
  'apps/Deployment': deploymentPrinter,
  'apps/ReplicaSet': replicaSetPrinter,
  '/Event': eventPrinter,
  // The apiserver prints both groups' Events from the one internal type.
  'events.k8s.io/Event': () => {
    const core = eventPrinter();
    return { ...core, row: (e, now) => core.row(toCoreEvent(e), now) };
  },
  '/Service': servicePrinter,
  '/ConfigMap': () => ({
    columns: [
      nameColumn(),
      column('Data', 'string', fieldDescription('io.k8s.api.core.v1.ConfigMap', 'data')),
      ageColumn(),
    ],
    row: (c, now) => ({
      cells: [
        c.metadata.name,
        Object.keys(obj(c.data)).length + Object.keys(obj(c.binaryData)).length,
        since(c.metadata.creationTimestamp, now),
      ],
    }),
  }),
  '/Secret': () => ({
    columns: [
      nameColumn(),
      column('Type', 'string', fieldDescription('io.k8s.api.core.v1.Secret', 'type')),
      column('Data', 'string', fieldDescription('io.k8s.api.core.v1.Secret', 'data')),
      ageColumn(),
    ],
    row: (s, now) => ({
      cells: [
        s.metadata.name,
        str(s.type),
        Object.keys(obj(s.data)).length,
        since(s.metadata.creationTimestamp, now),
      ],
    }),
  }),
  '/Namespace': () => ({
    columns: [nameColumn(), column('Status', 'string', 'The status of the namespace'), ageColumn()],
    row: (n, now) => ({
      cells: [n.metadata.name, str(obj(n.status).phase), since(n.metadata.creationTimestamp, now)],
    }),
  }),
  'coordination.k8s.io/Lease': () => ({
    columns: [
      nameColumn(),
      // coordination.k8s.io is not among the saved OpenAPI documents: LeaseSpec's 1.32 doc text.
      column(
        'Holder',
        'string',
        'holderIdentity contains the identity of the holder of a current lease. If Coordinated Leader Election is used, the holder identity must be equal to the elected LeaseCandidate.metadata.name field.',
      ),
      ageColumn(),
    ],
    row: (l, now) => ({
      cells: [l.metadata.name, str(obj(l.spec).holderIdentity), since(l.metadata.creationTimestamp, now)],
    }),
  }),
  'apps/ControllerRevision': () => ({
    columns: [
      nameColumn(),
      column('Controller', 'string', 'Controller of the object'),
      column('Revision', 'string', fieldDescription('io.k8s.api.apps.v1.ControllerRevision', 'revision')),
      ageColumn(),
    ],
    row: (r, now) => {
      const ref = r.metadata.ownerReferences?.find((o) => o.controller === true);
      let controller = '<none>';
      if (ref) {
        // formatResourceName(GroupKind, name, true): `statefulset.apps/web`, `pod/x` for the core group.
        const group = ref.apiVersion.includes('/') ? ref.apiVersion.split('/')[0]! : '';
        controller = `${(group ? `${ref.kind}.${group}` : ref.kind).toLowerCase()}/${ref.name}`;
      }
      return {
        cells: [r.metadata.name, controller, int(r.revision), since(r.metadata.creationTimestamp, now)],
      };
    },
  }),
};

// ---------------------------------------------------------------- custom resources and the default

/** Go's json.Marshal, as JSONPath prints maps and lists: sorted keys, `<`, `>`, `&` escaped. */
function goJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(goJson).join(',')}]`;
  if (isObj(v)) {
    const keys = Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${goJson(k)}:${goJson(v[k])}`).join(',')}}`;
  }
  if (typeof v === 'string')
    return JSON.stringify(v).replace(
      /[<>&\u2028\u2029]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  return JSON.stringify(v) ?? 'null';
}

/** apiextensions tableconvertor: string columns print through JSONPath, the rest are typed cells. */
function crdCell(column: PrinterColumn, obj: KObject, now: number): unknown {
  let found: unknown[];
  try {
    found = jsonPathMatches(obj, column.jsonPath);
  } catch (e) {
    if (e instanceof JsonPathError) return null;
    throw e;
  }
  const value = found[0];
  if (found.length === 0 || value === null || value === undefined) return null;
  switch (column.type) {
    case 'string':
      return Array.isArray(value) || isObj(value) ? goJson(value) : asText(value);
    case 'integer':
      return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'date': {
      if (typeof value !== 'string') return null;
      if (value === '' || value === 'null') return '<unknown>';
      const t = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value)
        ? Date.parse(value)
        : NaN;
      return Number.isFinite(t) ? humanDuration(now - t) : '<invalid>';
    }
    default:
      return null;
  }
}

function customPrinter(columns: PrinterColumn[]): Printer {
  // A version without additionalPrinterColumns is served with an Age column (serveDefaultColumnsIfEmpty).
  const cols: PrinterColumn[] = columns.length
    ? columns
    : [
        {
          name: 'Age',
          type: 'date',
          jsonPath: '.metadata.creationTimestamp',
          description: fieldDescription(META, 'creationTimestamp'),
        },
      ];
  return {
    columns: [
      nameColumn(),
      ...cols.map((c) =>
        column(c.name, c.type, c.description ?? '', { format: c.format, priority: c.priority }),
      ),
    ],
    row: (o, now) => ({ cells: [o.metadata.name, ...cols.map((c) => crdCell(c, o, now))] }),
  };
}

/** rest.NewDefaultTableConvertor: name and the creation time itself (not an age). */
function defaultPrinter(): Printer {
  return {
    columns: [nameColumn(), column('Created At', 'date', fieldDescription(META, 'creationTimestamp'))],
    row: (o) => ({ cells: [o.metadata.name, o.metadata.creationTimestamp ?? null] }),
  };
}

export function printerFor(rt: ResourceType, version: string): Printer {
  if (rt.custom) return customPrinter(rt.printerColumns?.[version] ?? []);
  return (BUILTIN[`${rt.group}/${rt.kind}`] ?? defaultPrinter)();
}
