import { createHash } from 'node:crypto';
import type { Application, Component } from '../appfile/types.js';
import type { Json } from './objects.js';
import { stableStringify } from './stable.js';
import { podTemplate } from './webservice.js';

/** One component revision: `<component>-v<number>`, and the pod template it stands for. */
export interface RevisionRecord {
  name: string;
  number: number;
  hash: string;
  /** The pod template without the revision label (see `podTemplate`). */
  template: Record<string, Json>;
}

/** Every revision each component has had, oldest first. */
export type RevisionHistory = Record<string, RevisionRecord[]>;

export function revisionName(component: string, n: number): string {
  return `${component}-v${n}`;
}

export function templateHash(template: Record<string, Json>): string {
  return createHash('sha256').update(stableStringify(template)).digest('hex').slice(0, 16);
}

/**
 * The revision each component's current workload is (README "Revisions"): an existing revision with the same
 * pod template is reused (trait changes never make one); otherwise a new one numbered one past the
 * highest the component has had. Returns the current names and the history with any new records.
 */
export function resolveRevisions(
  app: Application,
  history: RevisionHistory,
): { current: Record<string, string>; history: RevisionHistory; created: RevisionRecord[] } {
  const next: RevisionHistory = { ...history };
  const current: Record<string, string> = {};
  const created: RevisionRecord[] = [];
  for (const component of app.components) {
    const record = resolveOne(component, next[component.name] ?? []);
    if (!(next[component.name] ?? []).some((r) => r.name === record.name)) {
      next[component.name] = [...(next[component.name] ?? []), record];
      created.push(record);
    }
    current[component.name] = record.name;
  }
  return { current, history: next, created };
}

function resolveOne(component: Component, records: RevisionRecord[]): RevisionRecord {
  const template = podTemplate(component);
  const hash = templateHash(template);
  const same = records.find(
    (r) => r.hash === hash && stableStringify(r.template) === stableStringify(template),
  );
  if (same) return same;
  const n = records.reduce((max, r) => Math.max(max, r.number), 0) + 1;
  return { name: revisionName(component.name, n), number: n, hash, template };
}
