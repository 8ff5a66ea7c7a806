// The golden cases: each is a command whose stdout is kept under test/golden/<output>.
// Shared by the golden test and scripts/update-golden.js (plain JS so the script needs no build).
export function goldenCases() {
  const kv = 'test/fixtures/kubevela';
  const ex = 'examples';
  return [
    { output: 'bookinfo/render.yaml', args: ['render', `${ex}/bookinfo/first-deploy.yaml`] },
    // The quick start's app.yaml is the seed's first deploy under another name: the same objects.
    { output: 'bookinfo/render.yaml', args: ['render', `${ex}/bookinfo/app.yaml`] },
    { output: 'bookinfo/render.json', args: ['render', `${ex}/bookinfo/first-deploy.yaml`, '-o', 'json'] },
    // Every object after every step (--show-objects) for the seed; what each step changes for the rest.
    { output: 'bookinfo/plan-rollout.json', args: ['plan', `${ex}/bookinfo/rollout-v2.yaml`, '--from', `${ex}/bookinfo/first-deploy.yaml`, '-o', 'json', '--show-objects'] },
    { output: 'bookinfo/plan-rollout.txt', args: ['plan', `${ex}/bookinfo/rollout-v2.yaml`, '--from', `${ex}/bookinfo/first-deploy.yaml`] },
    { output: 'bookinfo/plan-rollback.json', args: ['plan', `${ex}/bookinfo/rollback.yaml`, '--from', `${ex}/bookinfo/first-deploy.yaml`, '-o', 'json'] },
    { output: 'kubevela/render-first-deploy.yaml', args: ['render', `${kv}/first-deploy.yaml`] },
    { output: 'checkout/render.yaml', args: ['render', `${ex}/checkout/app.yaml`] },
    { output: 'checkout/plan-canary.json', args: ['plan', `${ex}/checkout/canary.yaml`, '--from', `${ex}/checkout/app.yaml`, '-o', 'json'] },
    { output: 'checkout/plan-canary.txt', args: ['plan', `${ex}/checkout/canary.yaml`, '--from', `${ex}/checkout/app.yaml`] },
  ];
}
