import type { Application, TraitOf, TraitType, WeightedTarget, Component } from '../appfile/types.js';

/**
 * Where a component stands at one moment: the state the workflow moves step by step and the
 * compiler renders. Persisted in the cluster, so any machine can continue.
 */
export interface ComponentPlacement {
  /** The revision the component's current workload is. */
  revision: string;
  /** `rollout` components only: each live revision's Deployment and its replicas. */
  replicas?: Record<string, number>;
  /** `canary-traffic` components: the weighted routes; absent means one plain route to the Service. */
  traffic?: WeightedTarget[];
  /** `canary-traffic` components: the DestinationRule subsets, one per revision named. */
  subsets?: string[];
}

export type Placement = Record<string, ComponentPlacement>;

export function trait<T extends TraitType>(component: Component, type: T): TraitOf<T> | undefined {
  return component.traits.find((t): t is TraitOf<T> => t.type === type);
}

/**
 * The placement of a first deploy: each rollout component's single revision at targetSize, plain
 * routing, one subset for the revision. This is what `render` shows.
 */
export function initialPlacement(app: Application, current: Record<string, string>): Placement {
  const placement: Placement = {};
  for (const component of app.components) {
    placement[component.name] = settle(component, current[component.name] ?? '', undefined);
  }
  return placement;
}

/**
 * A component's placement carried over to a new spec: revisions the spec no longer needs keep
 * their replicas until a step moves them; components new to the spec start at their first deploy.
 */
export function settle(
  component: Component,
  revision: string,
  previous: ComponentPlacement | undefined,
): ComponentPlacement {
  const rollout = trait(component, 'rollout');
  const canary = trait(component, 'canary-traffic');
  const out: ComponentPlacement = { revision };
  if (rollout) {
    const live =
      previous?.replicas && Object.keys(previous.replicas).length > 0 ? previous.replicas : undefined;
    out.replicas = live ? { ...live } : { [revision]: rollout.properties.targetSize };
  }
  if (canary && !rollout) {
    // One Deployment updated in place: every pod is the current revision (or on its way to it),
    // so the mesh routes to the Service as a whole; weights from an earlier rollout would point at
    // subsets with no pods left.
    out.subsets = [revision];
  } else if (canary) {
    if (previous?.traffic) out.traffic = previous.traffic.map((t) => ({ ...t }));
    const live = Object.keys(out.replicas ?? {});
    out.subsets = previous?.subsets
      ? [...previous.subsets]
      : out.traffic
        ? out.traffic.map((t) => t.revision)
        : live;
  }
  return out;
}
