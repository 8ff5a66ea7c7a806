/**
 * What a person needs when a name they typed is not there: a close name (did you mean), what is
 * there instead, and where else the name lives, as kubectl and git suggest. Read only on that
 * error path, so commands that find what they look for never pay for it.
 */
import { closest } from '../appfile/suggest.js';
import { API, LABEL_APP, trait } from '../compile/index.js';
import type { ClusterClient } from '../cluster/types.js';
import { UsageError } from '../errors.js';
import type { AppState } from '../workflow/index.js';
import { LABEL_STATE_SELECTOR, listApps } from './store.js';

/** At most this many names are listed in a message; `vela-ts ls` shows them all. */
const LISTED = 10;

function names(all: readonly string[]): string {
  const shown = all.slice(0, LISTED).join(', ');
  return all.length > LISTED ? `${shown}, ... (${all.length - LISTED} more)` : shown;
}

/** The namespaces other than `namespace` that hold an app named `app`; none when they cannot be listed. */
async function otherNamespaces(cluster: ClusterClient, app: string, namespace: string): Promise<string[]> {
  try {
    const all = await cluster.list({ apiVersion: API.ConfigMap, kind: 'ConfigMap' }, '', {
      labelSelector: LABEL_STATE_SELECTOR,
    });
    return [
      ...new Set(
        all.items
          .filter((cm) => cm.metadata.labels?.[LABEL_APP] === app)
          .map((cm) => cm.metadata.namespace ?? '')
          .filter((ns) => ns !== '' && ns !== namespace),
      ),
    ].sort();
  } catch {
    // An identity limited to its namespaces may not list them all: then there is nothing to add.
    return [];
  }
}

async function absent(cluster: ClusterClient, namespace: string): Promise<boolean> {
  try {
    return (
      (await cluster.get({ apiVersion: 'v1', kind: 'Namespace', namespace: '', name: namespace })) ===
      undefined
    );
  } catch {
    return false;
  }
}

/**
 * The error for an app with no recorded state in `namespace`: the closest name there, the apps
 * there (or that there are none, and `vela-ts ls -A`), and the namespaces where an app of that
 * name lives. `namespaceMissing` when the namespace itself does not exist.
 */
export async function missingApp(
  cluster: ClusterClient,
  namespace: string,
  app: string,
  namespaceMissing = false,
): Promise<UsageError> {
  const here = namespaceMissing ? [] : await listApps(cluster, namespace).catch(() => [] as string[]);
  // A real apiserver answers a missing namespace's object as a plain 404: ask the namespace itself
  // (an identity that may not read namespaces learns nothing more).
  if (here.length === 0 && !namespaceMissing) namespaceMissing = await absent(cluster, namespace);
  const elsewhere = await otherNamespaces(cluster, app, namespace);
  let first = `no vela-ts app "${app}" in namespace ${namespace}`;
  if (namespaceMissing) first += ': the namespace does not exist';
  const close = closest(app, here);
  if (close !== undefined) first += `; did you mean "${close}"?`;
  const more: string[] = [];
  if (here.length > 0) more.push(`The apps in namespace ${namespace}: ${names(here)}.`);
  if (elsewhere.length > 0) {
    const where = elsewhere.length === 1 ? `namespace ${elsewhere[0]}` : `namespaces ${names(elsewhere)}`;
    more.push(`An app "${app}" is in ${where}: add -n ${elsewhere[0]}.`);
  } else if (here.length === 0) {
    first += `${namespaceMissing ? '' : ', which has no vela-ts app'}; \`vela-ts ls -A\` lists the apps of every namespace`;
  }
  if (more.length > 0 && !/[.?]$/.test(first)) first += '.';
  const text = [first, ...more].join(' ');
  return new UsageError(text);
}

/**
 * A `--component` the app does not have, or one with nothing to roll back (no rollout trait): the
 * message names the components that qualify, and a close name.
 */
export function checkRollbackComponent(state: AppState, named: string | undefined): void {
  if (named === undefined) return;
  const all = state.app.components.map((c) => c.name);
  const rolling = state.app.components.filter((c) => trait(c, 'rollout')).map((c) => c.name);
  if (rolling.includes(named)) return;
  const qualify =
    rolling.length > 0
      ? `the components it can roll back (with a rollout trait): ${names(rolling)}`
      : `none of its components has a rollout trait, so none has a revision to roll back to (its components: ${names(all)})`;
  const close = all.includes(named) ? undefined : closest(named, rolling);
  const what = all.includes(named)
    ? `component ${named} of ${state.app.name} has no rollout trait, so it has no revision to roll back to`
    : `${state.app.name} has no component ${named}`;
  throw new UsageError(
    close !== undefined
      ? `${what}; did you mean "${close}"? The ${qualify.replace(/^the /, '')}.`
      : `${what}; ${qualify}.`,
  );
}
