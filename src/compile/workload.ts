import type { Application, Component } from '../appfile/types.js';
import { LABEL_COMPONENT, LABEL_REVISION, LABEL_WORKLOAD_TYPE } from './labels.js';
import { API, type Json, type KubeObject } from './objects.js';
import { trait, type ComponentPlacement } from './placement.js';
import type { RevisionHistory } from './revisions.js';
import { commonLabels, podTemplate, withRevision } from './webservice.js';

/**
 * The component's Deployments. With a `rollout` trait: one per live revision, named after it and
 * selecting only its own pods, rendered from that revision's stored template (an old revision
 * keeps its old image). Without: one Deployment named after the component, updated in place; its
 * selector is immutable, so it selects by component alone while pods carry the current revision.
 */
export function deployments(
  app: Application,
  namespace: string,
  component: Component,
  placement: ComponentPlacement,
  history: RevisionHistory,
): KubeObject[] {
  const labels = { ...commonLabels(app, component.name), [LABEL_WORKLOAD_TYPE]: component.type };
  const extra = component.properties.labels ?? {};
  const annotations = component.properties.annotations;
  const meta = (name: string, revision?: string) => ({
    name,
    namespace,
    labels: revision ? { ...extra, ...labels, [LABEL_REVISION]: revision } : { ...extra, ...labels },
    ...(annotations && Object.keys(annotations).length > 0 ? { annotations } : {}),
  });

  if (trait(component, 'rollout')) {
    return Object.entries(placement.replicas ?? {}).map(([revision, replicas]) => {
      const stored = history[component.name]?.find((r) => r.name === revision);
      const template = stored ? stored.template : podTemplate(component);
      return {
        apiVersion: API.Deployment,
        kind: 'Deployment',
        metadata: meta(revision, revision),
        spec: {
          replicas,
          selector: { matchLabels: { [LABEL_COMPONENT]: component.name, [LABEL_REVISION]: revision } },
          template: withRevision(template, revision),
        },
      };
    });
  }

  const scaler = trait(component, 'scaler');
  const spec: Record<string, Json> = {
    selector: { matchLabels: { [LABEL_COMPONENT]: component.name } },
    template: withRevision(podTemplate(component), placement.revision),
  };
  // Like KubeVela, no replicas field without a scaler: the server defaults it to 1 and an
  // autoscaler the user adds later is not fought over.
  if (scaler) spec.replicas = scaler.properties.replicas ?? 1;
  return [{ apiVersion: API.Deployment, kind: 'Deployment', metadata: meta(component.name), spec }];
}
