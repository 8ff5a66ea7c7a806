import jsYaml from 'js-yaml';
import { inPool, WRITES_IN_FLIGHT } from './pool.js';
import {
  API,
  LABEL_APP,
  LABEL_MANAGED_BY,
  MANAGED_BY,
  type RevisionHistory,
  type RevisionRecord,
} from '../compile/index.js';
import { LABEL_REVISION_COMPONENT, LABEL_REVISION_HASH, LABEL_COMPONENT } from '../compile/labels.js';
import { stableStringify } from '../compile/stable.js';
import type { ClusterClient, KubeObject } from '../cluster/types.js';
import { ClusterError } from '../errors.js';
import type { AppState } from '../workflow/index.js';
import { writeAgainOnConflict } from './conflicts.js';

/** Marks the ConfigMap that holds an app's state, so `status` can find the apps of a namespace. */
const LABEL_STATE = 'vela-ts.dev/app-state';
/** Selects the state ConfigMaps of every app (with our managed-by label, so never a stranger's). */
export const LABEL_STATE_SELECTOR = `${LABEL_STATE}=true,${LABEL_MANAGED_BY}=${MANAGED_BY}`;

export function stateName(app: string): string {
  return `vela-ts-${app}`;
}

export interface Stored {
  state: AppState;
  resourceVersion: string;
}

/**
 * The app's state lives in a ConfigMap readable with kubectl (the spec as YAML, the workflow
 * phase, the whole state as JSON); each revision is also an apps/v1 ControllerRevision, the
 * Kubernetes idiom, so `kubectl get controllerrevisions` shows the history.
 */
export async function loadState(
  cluster: ClusterClient,
  namespace: string,
  app: string,
): Promise<Stored | undefined> {
  const cm = await cluster.get({
    apiVersion: API.ConfigMap,
    kind: 'ConfigMap',
    namespace,
    name: stateName(app),
  });
  if (!cm) return undefined;
  // Someone else's ConfigMap with our name is not a damaged state: never read it, never replace it.
  const labels = cm.metadata.labels ?? {};
  if (labels[LABEL_STATE] !== 'true' || labels[LABEL_MANAGED_BY] !== MANAGED_BY) {
    throw new ClusterError(
      `ConfigMap ${namespace}/${stateName(app)} exists but is not vela-ts's (it lacks the labels ${LABEL_STATE}=true and ${LABEL_MANAGED_BY}=${MANAGED_BY}); vela-ts keeps the state of app ${app} under that name, so it will not touch it: rename the app, or remove that ConfigMap if it is not needed`,
      0,
      'NotOurs',
    );
  }
  const data = (cm.data ?? {}) as Record<string, string>;
  try {
    const state = JSON.parse(data['state.json'] ?? '') as AppState;
    return { state, resourceVersion: cm.metadata.resourceVersion ?? '' };
  } catch {
    throw new ClusterError(
      `the state of ${app} in ConfigMap ${namespace}/${stateName(app)} is damaged; delete it to start over`,
    );
  }
}

/** The spec last applied, as an Application file again: it renders and plans like the original. */
function manifest(state: AppState): Record<string, unknown> {
  const { app } = state;
  const metadata: Record<string, unknown> = { name: app.name, namespace: state.namespace };
  if (Object.keys(app.labels).length > 0) metadata.labels = app.labels;
  if (Object.keys(app.annotations).length > 0) metadata.annotations = app.annotations;
  return {
    apiVersion: 'core.oam.dev/v1beta1',
    kind: 'Application',
    metadata,
    spec: { components: app.components, ...(app.workflow ? { workflow: { steps: app.workflow } } : {}) },
  };
}

export function stateObject(state: AppState, resourceVersion?: string): KubeObject {
  return {
    apiVersion: API.ConfigMap,
    kind: 'ConfigMap',
    metadata: {
      name: stateName(state.app.name),
      namespace: state.namespace,
      labels: { [LABEL_APP]: state.app.name, [LABEL_MANAGED_BY]: MANAGED_BY, [LABEL_STATE]: 'true' },
      ...(resourceVersion ? { resourceVersion } : {}),
    },
    data: {
      'application.yaml': jsYaml.dump(manifest(state), { noRefs: true, lineWidth: -1 }),
      phase: state.workflow.phase,
      'state.json': stableStringify(state),
    },
  };
}

/**
 * Writes the state with optimistic concurrency; writes nothing when nothing changed. A 409 is
 * thrown to the caller, which re-reads and re-decides.
 */
export async function saveState(
  cluster: ClusterClient,
  state: AppState,
  previous: Stored | undefined,
): Promise<Stored> {
  if (previous && stableStringify(previous.state) === stableStringify(state)) return previous;
  const obj = stateObject(state, previous?.resourceVersion);
  const written = previous ? await cluster.replace(obj) : await cluster.create(obj);
  return { state, resourceVersion: written.metadata.resourceVersion ?? '' };
}

/** Records revisions the cluster does not have yet; an existing one is left as it is. */
export async function recordRevisions(
  cluster: ClusterClient,
  state: AppState,
  known: RevisionHistory | undefined,
): Promise<void> {
  const unknown = Object.entries(state.revisions).flatMap(([component, records]) =>
    records
      .filter((record) => !(known?.[component] ?? []).some((r) => r.name === record.name))
      .map((record) => ({ component, record })),
  );
  // Records of their own, independent of each other: a few at a time.
  await inPool(unknown, WRITES_IN_FLIGHT, async ({ component, record }) => {
    try {
      await writeAgainOnConflict(() => cluster.create(revisionObject(state, component, record)));
    } catch (err) {
      // Recorded already (by us before a crash, or by another machine): revisions never change.
      if (!(err instanceof ClusterError && err.reason === 'AlreadyExists')) throw err;
      const live = await cluster.get({
        apiVersion: API.ControllerRevision,
        kind: 'ControllerRevision',
        namespace: state.namespace,
        name: record.name,
      });
      const owner = live?.metadata.labels?.[LABEL_APP];
      if (live && owner !== state.app.name) {
        throw new ClusterError(
          `ControllerRevision ${state.namespace}/${record.name} belongs to ${owner ? `vela-ts app "${owner}"` : 'something other than vela-ts'}; two apps in one namespace cannot share a component name (${component})`,
        );
      }
    }
  });
}

function revisionObject(state: AppState, component: string, record: RevisionRecord): KubeObject {
  return {
    apiVersion: API.ControllerRevision,
    kind: 'ControllerRevision',
    metadata: {
      name: record.name,
      namespace: state.namespace,
      labels: {
        [LABEL_APP]: state.app.name,
        [LABEL_COMPONENT]: component,
        [LABEL_REVISION_COMPONENT]: component,
        [LABEL_REVISION_HASH]: record.hash,
        [LABEL_MANAGED_BY]: MANAGED_BY,
      },
    },
    revision: record.number,
    data: { template: record.template },
  };
}

/** The apps vela-ts drives in a namespace. */
export async function listApps(cluster: ClusterClient, namespace: string): Promise<string[]> {
  const list = await cluster.list({ apiVersion: API.ConfigMap, kind: 'ConfigMap' }, namespace, {
    labelSelector: `${LABEL_STATE}=true`,
  });
  return list.items
    .map((cm) => cm.metadata.labels?.[LABEL_APP] ?? '')
    .filter(Boolean)
    .sort();
}
