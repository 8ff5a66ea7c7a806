import type { Application, Component, WeightedTarget } from '../appfile/types.js';
import { LABEL_COMPONENT, LABEL_REVISION, LABEL_TRAIT_TYPE } from './labels.js';
import { API, type Json, type KubeObject } from './objects.js';
import { trait, type ComponentPlacement } from './placement.js';
import { commonLabels } from './webservice.js';

/**
 * VirtualService and DestinationRule `<component>` (KubeVela's canary-traffic trait, with the
 * canary-rollout step's patches applied from the placement). Subsets select pods by
 * `app.oam.dev/revision`, the label every pod of a revision carries.
 */
export function canaryObjects(
  app: Application,
  namespace: string,
  component: Component,
  placement: ComponentPlacement | undefined,
): KubeObject[] {
  const canary = trait(component, 'canary-traffic');
  if (!canary) return [];
  const labels = { ...commonLabels(app, component.name), [LABEL_TRAIT_TYPE]: 'canary-traffic' };
  const port = canary.properties.port[0] as number;
  const subsets = placement?.subsets ?? [placement?.revision ?? component.name];
  return [
    {
      apiVersion: API.DestinationRule,
      kind: 'DestinationRule',
      metadata: { name: component.name, namespace, labels },
      spec: {
        host: component.name,
        subsets: subsets.map((name) => ({ name, labels: { [LABEL_REVISION]: name } })),
      },
    },
    {
      apiVersion: API.VirtualService,
      kind: 'VirtualService',
      metadata: { name: component.name, namespace, labels },
      spec: {
        hosts: [component.name],
        http: [{ route: routeDestinations(component.name, port, placement?.traffic) }],
      },
    },
  ];
}

export function routeDestinations(host: string, port: number, traffic: WeightedTarget[] | undefined): Json[] {
  if (!traffic) return [{ destination: { host, port: { number: port } } }];
  return traffic.map((t) => ({
    destination: { host, port: { number: port }, subset: t.revision },
    weight: t.weight,
  }));
}

/** The routing a component's canary objects hold, in placement terms. */
export interface CanaryRouting {
  /** Per component with a canary VirtualService: its weighted routes, or undefined for one plain route. */
  traffic: Map<string, WeightedTarget[] | undefined>;
  /** Per component with a canary DestinationRule: its subsets. */
  subsets: Map<string, string[]>;
}

/**
 * The inverse of `canaryObjects`: what live VirtualServices and DestinationRules of the
 * canary-traffic trait route, back as a placement's `traffic` and `subsets`, per component (by
 * its label, so objects of other traits, such as the gateway's VirtualService, are not read).
 */
export function canaryRouting(objects: readonly KubeObject[]): CanaryRouting {
  const routing: CanaryRouting = { traffic: new Map(), subsets: new Map() };
  for (const o of objects) {
    const component = o.metadata.labels?.[LABEL_COMPONENT];
    if (!component || o.metadata.labels?.[LABEL_TRAIT_TYPE] !== 'canary-traffic') continue;
    if (o.kind === 'VirtualService') {
      const http = (
        o.spec as { http?: { route?: { destination?: { subset?: string }; weight?: number }[] }[] }
      )?.http;
      const weighted = (http?.[0]?.route ?? []).filter((r) => r.destination?.subset !== undefined);
      routing.traffic.set(
        component,
        weighted.length > 0
          ? weighted.map((r) => ({ revision: r.destination?.subset ?? '', weight: r.weight ?? 0 }))
          : undefined,
      );
    } else if (o.kind === 'DestinationRule') {
      const subsets = (o.spec as { subsets?: { name: string }[] } | undefined)?.subsets ?? [];
      routing.subsets.set(
        component,
        subsets.map((s) => s.name),
      );
    }
  }
  return routing;
}
