#!/usr/bin/env node
// An Application file with N generated components, for the scale benchmarks (render, plan, up).
// Four shapes, in turn, so every compiler path and object kind is exercised:
//   0  a rollout component: canary-traffic + rollout (2 replicas in 2 batches): Deployment per
//      revision, Service, DestinationRule, VirtualService
//   1  expose + istio-gateway: Deployment, Service, Gateway, VirtualService
//   2  expose + scaler (2 replicas): Deployment, Service
//   3  expose: Deployment, Service
// `--release 2` changes the rollout components' image (a new revision of each), so
// `plan gen-2.yaml --from gen-1.yaml` plans a rollout of every fourth component. Without
// `--workflow` the file has KubeVela's default workflow (one apply-component step per component);
// with it, a canary step (batch 1, 90/10) per rollout component, one approval, then the rest.
//
//   node scripts/gen-app.js 1000 > app.yaml
//   node scripts/gen-app.js 1000 --release 2 --workflow --namespace scale > app-v2.yaml
//
// Also a module: `import { generateApp } from './gen-app.js'` (the benchmark's use).
import { pathToFileURL } from 'node:url';

const pad = (i) => String(i).padStart(5, '0');

/** The component names of shape 0 (the ones with a rollout trait), in file order. */
export function rolloutComponents(n) {
  const names = [];
  for (let i = 0; i < n; i += 4) names.push(`c${pad(i)}`);
  return names;
}

/**
 * The YAML text of an Application `scale-<n>` with `n` components.
 * @param {{ components: number, release?: number, workflow?: boolean, namespace?: string, name?: string }} opts
 */
export function generateApp({ components, release = 1, workflow = false, namespace = 'default', name }) {
  const out = [
    'apiVersion: core.oam.dev/v1beta1',
    'kind: Application',
    'metadata:',
    `  name: ${name ?? `scale-${components}`}`,
    `  namespace: ${namespace}`,
    'spec:',
    '  components:',
  ];
  for (let i = 0; i < components; i++) {
    const c = `c${pad(i)}`;
    const shape = i % 4;
    const tag = shape === 0 ? `${release}.0.0` : '1.0.0';
    out.push(
      `    - name: ${c}`,
      '      type: webservice',
      '      properties:',
      `        image: example.com/${c}:${tag}`,
      '        port: 8080',
      '      traits:',
    );
    if (shape === 0) {
      out.push(
        '        - type: canary-traffic',
        '          properties:',
        '            port: [8080]',
        '        - type: rollout',
        '          properties:',
        '            targetSize: 2',
        '            rolloutBatches:',
        '              - replicas: 1',
        '              - replicas: 1',
      );
      continue;
    }
    out.push('        - type: expose', '          properties:', '            port: [8080]');
    if (shape === 1) {
      out.push(
        '        - type: istio-gateway',
        '          properties:',
        `            hosts: ["${c}.example.com"]`,
        '            match:',
        '              - prefix: /',
        '            port: 8080',
      );
    } else if (shape === 2) {
      out.push('        - type: scaler', '          properties:', '            replicas: 2');
    }
  }
  if (workflow) {
    const rolling = rolloutComponents(components);
    out.push('  workflow:', '    steps:');
    for (const c of rolling) {
      out.push(
        `      - name: canary-${c}`,
        '        type: canary-rollout',
        '        properties:',
        `          component: ${c}`,
        '          batchPartition: 0',
        '          traffic:',
        '            weightedTargets:',
        '              - revision: stable',
        '                weight: 90',
        '              - revision: canary',
        '                weight: 10',
      );
    }
    out.push('      - name: approval', '        type: suspend');
    for (const c of rolling) {
      out.push(
        `      - name: rest-${c}`,
        '        type: canary-rollout',
        '        properties:',
        `          component: ${c}`,
        '          batchPartition: 1',
        '          traffic:',
        '            weightedTargets:',
        '              - revision: canary',
        '                weight: 100',
      );
    }
  }
  return `${out.join('\n')}\n`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const flag = (f) => {
    const i = args.indexOf(f);
    return i === -1 ? undefined : args[i + 1];
  };
  const components = Number(args[0]);
  if (!Number.isInteger(components) || components < 1) {
    console.error(
      'usage: gen-app.js N [--release R] [--workflow] [--namespace NS] [--name NAME]  (YAML on stdout)',
    );
    process.exit(2);
  }
  process.stdout.write(
    generateApp({
      components,
      release: Number(flag('--release') ?? 1),
      workflow: args.includes('--workflow'),
      namespace: flag('--namespace') ?? 'default',
      ...(flag('--name') ? { name: flag('--name') } : {}),
    }),
  );
}
