/**
 * Is the mesh there? VirtualService weights act only on requests that leave a sidecar (or an
 * ambient waypoint): without injection in the namespace, kube-proxy splits a Service's traffic by
 * pod count while `status` would show 90/10. `up` checks before anything moves (README "Talking
 * to a cluster"); `status` shows the finding.
 */
import { trait } from '../compile/index.js';
import type { Application } from '../appfile/types.js';
import type { KubeObject } from '../cluster/types.js';
import { ClusterError, UsageError } from '../errors.js';
import type { EngineContext } from './context.js';

export interface MeshFinding {
  /** `unknown`: the namespace could not be read (a namespaced Role may not get namespaces). */
  meshed: boolean | 'unknown';
  /** Why, in a phrase: `namespace shop has istio-injection=enabled`. */
  reason: string;
}

/** Labels that put a namespace's pods in the mesh, as Istio's injector and ambient read them. */
export function meshOfLabels(namespace: string, labels: Record<string, string>): MeshFinding {
  const injection = labels['istio-injection'];
  if (injection === 'disabled')
    return { meshed: false, reason: `namespace ${namespace} has istio-injection=disabled` };
  if (injection === 'enabled')
    return { meshed: true, reason: `namespace ${namespace} has istio-injection=enabled` };
  const rev = labels['istio.io/rev'];
  if (rev) return { meshed: true, reason: `namespace ${namespace} has istio.io/rev=${rev}` };
  if (labels['istio.io/dataplane-mode'] === 'ambient')
    return {
      meshed: true,
      reason: `namespace ${namespace} is in ambient mode (route weights need its waypoint proxy)`,
    };
  return {
    meshed: false,
    reason: `namespace ${namespace} has no sidecar injection (no istio-injection=enabled or istio.io/rev label)`,
  };
}

/** Every component's pods ask for a sidecar themselves (`sidecar.istio.io/inject: "true"`). */
function selfInjected(app: Application): boolean {
  return app.components.every((c) => c.properties.labels?.['sidecar.istio.io/inject'] === 'true');
}

/**
 * Namespaces read by this process, per client: the check before `up` and the status shown after
 * it ask the same question seconds apart, and a namespace's mesh labels change with a restart of
 * its pods, not mid-command. Only a namespace that exists is kept (`--create-namespace` may make it).
 */
const seenNamespaces = new WeakMap<object, Map<string, KubeObject>>();

export async function meshFinding(
  ctx: Pick<EngineContext, 'cluster'>,
  namespace: string,
  app: Application,
): Promise<MeshFinding | undefined> {
  let seen = seenNamespaces.get(ctx.cluster);
  if (!seen) seenNamespaces.set(ctx.cluster, (seen = new Map<string, KubeObject>()));
  let ns = seen.get(namespace);
  try {
    ns ??= await ctx.cluster.get({ apiVersion: 'v1', kind: 'Namespace', namespace: '', name: namespace });
    if (ns) seen.set(namespace, ns);
  } catch (err) {
    if (err instanceof ClusterError && (err.status === 403 || err.status === 401))
      return {
        meshed: 'unknown',
        reason: `namespace ${namespace} could not be read (${err.reason || 'Forbidden'})`,
      };
    throw err;
  }
  // A missing namespace is reported by whatever is written to it first.
  if (!ns) return undefined;
  const finding = meshOfLabels(namespace, ns.metadata.labels ?? {});
  if (finding.meshed === false && selfInjected(app))
    return { meshed: true, reason: 'every component asks for a sidecar (sidecar.istio.io/inject: "true")' };
  return finding;
}

/** Refused before anything moves: route weights would be shown but not obeyed. Exit 2. */
export class MeshMissing extends UsageError {
  override name = 'MeshMissing';
}

/**
 * `up` of a spec that splits traffic with weights: refuse when the namespace is certainly not in
 * the mesh, warn when it cannot be told. `skip` (`--no-mesh-check`): the callers are meshed in a
 * way vela-ts cannot see.
 */
export async function checkMesh(
  ctx: EngineContext,
  namespace: string,
  app: Application,
  skip: boolean,
): Promise<void> {
  if (skip || !app.components.some((c) => trait(c, 'canary-traffic'))) return;
  const finding = await meshFinding(ctx, namespace, app);
  if (!finding || finding.meshed === true) return;
  if (finding.meshed === 'unknown') {
    ctx.report.info(
      `cannot tell whether ${namespace} is in the Istio mesh: ${finding.reason}; route weights act only on requests from pods with a sidecar`,
    );
    return;
  }
  throw new MeshMissing(
    `${finding.reason}: without sidecars in the calling pods, VirtualService weights have no effect and Kubernetes splits traffic by pod count, while status would show the weights. ` +
      `Label the namespace (kubectl label namespace ${namespace} istio-injection=enabled) and restart its pods, or run with --no-mesh-check if the callers are in the mesh some other way`,
  );
}
