/**
 * events.k8s.io/v1 Events: the core/v1 Events the sandbox records (events.ts) seen in the newer
 * group's shape. The apiserver serves both groups from the one core storage and converts between
 * them (pkg/apis/events/v1 conversion.go): involvedObject is `regarding`, message `note`, source
 * `deprecatedSource`, first/lastTimestamp and count `deprecated*`, reportingComponent
 * `reportingController`; the rest keep their names. Fields are in events/v1 types.go order, with
 * its `omitempty`s (strings and the count; the structs and times are always there, null if unset).
 */
import { isObj, type KObject, type Obj } from './util.js';

export function toEventsV1(core: KObject): KObject {
  const out: KObject = {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: core.metadata,
    eventTime: core.eventTime ?? null,
  };
  const text = (key: string, v: unknown) => {
    if (typeof v === 'string' && v !== '') out[key] = v;
  };
  if (isObj(core.series)) out.series = core.series;
  text('reportingController', core.reportingComponent);
  text('reportingInstance', core.reportingInstance);
  text('action', core.action);
  text('reason', core.reason);
  out.regarding = isObj(core.involvedObject) ? core.involvedObject : {};
  if (isObj(core.related)) out.related = core.related;
  text('note', core.message);
  text('type', core.type);
  out.deprecatedSource = isObj(core.source) ? core.source : {};
  out.deprecatedFirstTimestamp = core.firstTimestamp ?? null;
  out.deprecatedLastTimestamp = core.lastTimestamp ?? null;
  if (typeof core.count === 'number' && core.count !== 0) out.deprecatedCount = core.count;
  return out;
}

/** The other way, for what reads the core fields (the Table printer, as upstream's prints core.Event). */
export function toCoreEvent(v1: KObject): KObject {
  const { regarding, note, deprecatedSource, deprecatedFirstTimestamp, deprecatedLastTimestamp, ...rest } =
    v1;
  const { deprecatedCount, reportingController, ...same } = rest as Obj;
  return {
    ...same,
    metadata: v1.metadata,
    involvedObject: regarding,
    message: note,
    source: deprecatedSource,
    firstTimestamp: deprecatedFirstTimestamp,
    lastTimestamp: deprecatedLastTimestamp,
    count: deprecatedCount,
    reportingComponent: reportingController,
  };
}
