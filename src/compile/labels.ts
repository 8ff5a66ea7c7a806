/** Label keys. The `app.oam.dev/*` keys are KubeVela's, so existing dashboards and selectors keep working. */
export const LABEL_APP = 'app.oam.dev/name';
export const LABEL_COMPONENT = 'app.oam.dev/component';
export const LABEL_REVISION = 'app.oam.dev/revision';
export const LABEL_WORKLOAD_TYPE = 'workload.oam.dev/type';
export const LABEL_TRAIT_TYPE = 'trait.oam.dev/type';
/** Marks what vela-ts owns; it refuses to change or delete objects without it (unless --force). */
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'vela-ts';
/** ControllerRevisions: the component they belong to and the hash of its pod template. */
export const LABEL_REVISION_COMPONENT = 'controller.oam.dev/component';
export const LABEL_REVISION_HASH = 'app.oam.dev/component-revision-hash';
/**
 * Annotation the engine writes on each object, a hash of what it wrote, so a field vela-ts stops
 * setting is a change too (engine/apply.ts); `diff` leaves it out as noise (engine/objdiff.ts).
 */
export const ANNOTATION_APPLIED_HASH = 'vela-ts.dev/applied-hash';
