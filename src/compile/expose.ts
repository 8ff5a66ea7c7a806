import type { Application, Component } from '../appfile/types.js';
import { LABEL_COMPONENT, LABEL_TRAIT_TYPE } from './labels.js';
import { API, type KubeObject } from './objects.js';
import { trait } from './placement.js';
import { commonLabels } from './webservice.js';

/**
 * The component's Service. Both `expose` and `canary-traffic` produce Service `<component>`
 * (KubeVela's two templates would collide); vela-ts merges them into one: the union of their
 * ports, the type from `expose`.
 */
export function service(app: Application, namespace: string, component: Component): KubeObject | undefined {
  const expose = trait(component, 'expose');
  const canary = trait(component, 'canary-traffic');
  if (!expose && !canary) return undefined;
  const ports = [...new Set([...(expose?.properties.port ?? []), ...(canary?.properties.port ?? [])])];
  return {
    apiVersion: API.Service,
    kind: 'Service',
    metadata: {
      name: component.name,
      namespace,
      labels: {
        ...commonLabels(app, component.name),
        [LABEL_TRAIT_TYPE]: expose ? 'expose' : 'canary-traffic',
      },
    },
    spec: {
      selector: { [LABEL_COMPONENT]: component.name },
      // Named ports: Kubernetes requires names once a Service has more than one, and naming
      // them always means adding a port later does not rename the first.
      ports: ports.map((p) => ({ name: `port-${p}`, port: p, targetPort: p, protocol: 'TCP' })),
      type: expose?.properties.type ?? 'ClusterIP',
    },
  };
}
