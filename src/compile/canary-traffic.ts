import type { Application, Component, WeightedTarget } from '../appfile/types.js';
import { LABEL_REVISION, LABEL_TRAIT_TYPE } from './labels.js';
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
