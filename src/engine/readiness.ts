import { API, LABEL_APP, type KubeObject } from '../compile/index.js';
import type { ClusterClient } from '../cluster/types.js';
import { formatDuration } from '../duration.js';
import { ClusterError } from '../errors.js';
import type { AppState } from '../workflow/types.js';

// Readiness, judged as `kubectl rollout status` judges it, waited on by watching; when the wait
// gives up, a report in kubectl's words of what is missing (replicas, and why pods are not ready).

interface DeploymentLike {
  metadata: { name: string; generation?: number };
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
  };
}

/** `kubectl rollout status`'s rule: the new generation is observed, and every replica is updated and available. */
function deploymentReady(d: DeploymentLike): boolean {
  const want = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  if ((s.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) return false;
  return (
    (s.updatedReplicas ?? 0) >= want &&
    (s.replicas ?? 0) === want &&
    (s.availableReplicas ?? 0) >= want &&
    (s.readyReplicas ?? 0) >= want
  );
}

/** `Progressing=False, reason=ProgressDeadlineExceeded`, in kubectl's words, or undefined. */
function deadlineExceeded(d: KubeObject | undefined): string | undefined {
  const conditions = (
    d?.status as
      { conditions?: { type?: string; status?: string; reason?: string; message?: string }[] } | undefined
  )?.conditions;
  const c = conditions?.find((x) => x.type === 'Progressing');
  if (c?.status !== 'False' || c.reason !== 'ProgressDeadlineExceeded') return undefined;
  return `its progress deadline was exceeded (Progressing=False, ProgressDeadlineExceeded${c.message ? `: ${c.message}` : ''})`;
}

/** True when every named Deployment in `objs` is ready by `kubectl rollout status`'s rule. */
export function allReady(objs: ReadonlyMap<string, KubeObject>, names: readonly string[]): boolean {
  return names.every((n) => {
    const d = objs.get(n);
    return d !== undefined && deadlineExceeded(d) === undefined && deploymentReady(d);
  });
}

/**
 * Waits, by watching, until the named Deployments are all ready; says which are not when it gives
 * up. Resolves with the app's Deployments as last seen (keyed by name), or nothing when it had
 * nothing to wait for or found everything ready only by a fresh read after the timeout.
 */
export async function waitReady(
  cluster: ClusterClient,
  namespace: string,
  app: string,
  names: readonly string[],
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<ReadonlyMap<string, KubeObject> | undefined> {
  if (names.length === 0) return undefined;
  // As `kubectl rollout status`: a Deployment that reports its progress deadline exceeded has
  // failed now; waiting out the rest of the timeout cannot help.
  let stuck: string | undefined;
  const done = (objs: ReadonlyMap<string, KubeObject>) => {
    for (const n of names) {
      const why = deadlineExceeded(objs.get(n));
      if (why) {
        stuck = `${n}: ${why}`;
        return true;
      }
    }
    return names.every((n) => {
      const d = objs.get(n);
      return d !== undefined && deploymentReady(d);
    });
  };
  try {
    const seen = await cluster.waitFor({ apiVersion: API.Deployment, kind: 'Deployment' }, namespace, done, {
      labelSelector: `${LABEL_APP}=${app}`,
      timeoutMs,
      ...(signal ? { signal } : {}),
    });
    if (stuck) throw new ClusterError(`not ready: ${stuck}`, 0, 'Timeout');
    return seen;
  } catch (err) {
    if (stuck) throw err;
    if (err instanceof ClusterError && err.reason === 'Timeout') {
      const report = await notReadyReport(cluster, namespace, app, names, timeoutMs);
      if (report === undefined) return undefined;
      throw new ClusterError(report, 0, 'Timeout');
    }
    throw err;
  }
}

async function notReadyReport(
  cluster: ClusterClient,
  namespace: string,
  app: string,
  names: readonly string[],
  timeoutMs: number,
): Promise<string | undefined> {
  const lines: string[] = [];
  const deployments = await cluster.list({ apiVersion: API.Deployment, kind: 'Deployment' }, namespace, {
    labelSelector: `${LABEL_APP}=${app}`,
  });
  const pods = await cluster
    .list({ apiVersion: 'v1', kind: 'Pod' }, namespace, { labelSelector: `${LABEL_APP}=${app}` })
    .catch(() => ({ items: [] as KubeObject[] }));
  const allPods =
    pods.items.length > 0
      ? pods.items
      : (
          await cluster
            .list({ apiVersion: 'v1', kind: 'Pod' }, namespace)
            .catch(() => ({ items: [] as KubeObject[] }))
        ).items;
  for (const name of names) {
    const d = deployments.items.find((x) => x.metadata.name === name) as unknown as
      DeploymentLike | undefined;
    if (!d) {
      lines.push(`Deployment ${name} does not exist`);
      continue;
    }
    if (deploymentReady(d)) continue;
    lines.push(`Deployment ${name}: ${rolloutProgress(d)}`);
    const selector =
      (d as unknown as { spec?: { selector?: { matchLabels?: Record<string, string> } } }).spec?.selector
        ?.matchLabels ?? {};
    for (const pod of allPods) {
      const labels = pod.metadata.labels ?? {};
      if (!Object.entries(selector).every(([k, v]) => labels[k] === v)) continue;
      const why = podProblem(pod);
      if (why) lines.push(`  pod ${pod.metadata.name}: ${why}`);
    }
  }
  // Everything is ready by a fresh read though the watch never said so: not a failure.
  if (lines.length === 0) return undefined;
  return `not ready after ${formatDuration(timeoutMs)}:\n  ${lines.join('\n  ')}`;
}

/** `r/w ready`, and what is missing in the words of `kubectl rollout status`. */
function rolloutProgress(d: DeploymentLike): string {
  const want = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  const [updated, total, available] = [s.updatedReplicas ?? 0, s.replicas ?? 0, s.availableReplicas ?? 0];
  const why =
    (s.observedGeneration ?? 0) < (d.metadata.generation ?? 0)
      ? 'the controller has not seen the change yet'
      : updated < want
        ? `${updated} of ${want} new replicas updated`
        : total > updated
          ? `${total - updated} old replica${total - updated === 1 ? '' : 's'} pending termination`
          : available < updated
            ? `${available} of ${updated} updated replicas available`
            : '';
  return `${s.readyReplicas ?? 0}/${want} ready${why ? ` (${why})` : ''}`;
}

function podProblem(pod: KubeObject): string | undefined {
  const status = (pod.status ?? {}) as {
    phase?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    containerStatuses?: {
      name: string;
      ready: boolean;
      state?: { waiting?: { reason?: string; message?: string } };
    }[];
  };
  const waiting = status.containerStatuses?.find((c) => c.state?.waiting)?.state?.waiting;
  if (waiting) return [waiting.reason, waiting.message].filter(Boolean).join(': ');
  const ready = status.conditions?.find((c) => c.type === 'Ready');
  if (ready && ready.status !== 'True')
    return [ready.reason ?? 'not ready', ready.message].filter(Boolean).join(': ');
  if (status.phase && status.phase !== 'Running') return `phase ${status.phase}`;
  return ready ? undefined : 'not ready';
}

/**
 * The components whose canary (the revision a rollout moves to) has no ready pod now: their
 * traffic leaves it at once in a rollback, since it serves nothing there anyway.
 */
export async function canariesWithoutReadyPods(
  ctx: { cluster: ClusterClient },
  state: Pick<AppState, 'namespace' | 'app' | 'rollouts'>,
): Promise<string[]> {
  const live = await ctx.cluster.list({ apiVersion: API.Deployment, kind: 'Deployment' }, state.namespace, {
    labelSelector: `${LABEL_APP}=${state.app.name}`,
  });
  const ready = new Map(
    live.items.map((d) => [
      d.metadata.name,
      (d.status as { readyReplicas?: number } | undefined)?.readyReplicas ?? 0,
    ]),
  );
  return Object.entries(state.rollouts)
    .filter(
      ([, pair]) =>
        pair.source !== undefined && pair.source !== pair.target && !(ready.get(pair.target) ?? 0),
    )
    .map(([component]) => component);
}
