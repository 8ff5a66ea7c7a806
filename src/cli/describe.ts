import type { Component } from '../appfile/types.js';
import { trait, type Placement } from '../compile/index.js';
import { liveRevisions, type AppState } from '../workflow/index.js';

/** One line per rollout component: replicas per revision, traffic split, subsets. */
export function describePlacement(state: AppState): string[] {
  return describeComponents(state.app.components, state.placement);
}

/** The lines of `describePlacement` for the given components only. */
export function describeComponents(components: readonly Component[], placement: Placement): string[] {
  const lines: string[] = [];
  for (const component of components) {
    const at = placement[component.name];
    if (!at) continue;
    if (trait(component, 'rollout')) {
      const reps = liveRevisions(at)
        .map((r) => `${r}=${at.replicas?.[r] ?? 0}`)
        .join(' ');
      lines.push(`${component.name}: replicas ${reps || 'none'}`);
    }
    if (trait(component, 'canary-traffic')) {
      const traffic = at.traffic
        ? at.traffic.map((t) => `${t.revision} ${t.weight}%`).join(', ')
        : 'all pods of the Service';
      lines.push(`${component.name}: traffic ${traffic}; subsets ${(at.subsets ?? []).join(', ') || 'none'}`);
    }
  }
  return lines;
}
