import type { Application, Component } from '../appfile/types.js';
import { LABEL_TRAIT_TYPE } from './labels.js';
import { API, type KubeObject } from './objects.js';
import { trait, type ComponentPlacement } from './placement.js';
import { routeDestinations } from './canary-traffic.js';
import { commonLabels } from './webservice.js';

/** Gateway `<component>` and the VirtualService bound to it (KubeVela's istio-gateway trait). */
export function gatewayObjects(
  app: Application,
  namespace: string,
  component: Component,
  placement: ComponentPlacement | undefined,
): KubeObject[] {
  const gw = trait(component, 'istio-gateway');
  if (!gw) return [];
  const p = gw.properties;
  const labels = { ...commonLabels(app, component.name), [LABEL_TRAIT_TYPE]: 'istio-gateway' };
  // canary-traffic owns VirtualService `<component>` when both traits are present.
  const vsName = trait(component, 'canary-traffic') ? `${component.name}-gateway` : component.name;
  return [
    {
      apiVersion: API.Gateway,
      kind: 'Gateway',
      metadata: { name: component.name, namespace, labels },
      spec: {
        selector: { istio: p.gateway ?? 'ingressgateway' },
        servers: [{ hosts: p.hosts, port: { name: 'http', number: 80, protocol: 'HTTP' } }],
      },
    },
    {
      apiVersion: API.VirtualService,
      kind: 'VirtualService',
      metadata: { name: vsName, namespace, labels },
      spec: {
        gateways: [component.name],
        hosts: p.hosts,
        http: [
          {
            match: p.match.map((uri) => ({ uri })),
            // External traffic follows the same canary split as mesh traffic.
            route: routeDestinations(component.name, p.port, placement?.traffic),
          },
        ],
      },
    },
  ];
}
