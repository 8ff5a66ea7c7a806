/**
 * The engine: the one imperative shell around the pure workflow. Every command reads the app's
 * recorded state (a ConfigMap, `store.ts`), asks the pure core (`../workflow`) what the next move
 * is, records that move, and only then makes it: applies the rendered objects where the live ones
 * (`live.ts`) differ (`contains.ts`), never over an object that is not the app's own (`ownership.ts`)
 * unless forced (`apply.ts`), waits for readiness by watching (`readiness.ts`), removes what is no
 * longer rendered, and repeats (`drive.ts`). So a killed run is continued by running it again, from
 * any machine.
 *
 * One driver per app holds a Lease (`lock.ts`; whether its holder is still there, `holder.ts`);
 * timed pauses are waited out without it, so others can act meanwhile (`timers.ts`). Every write
 * that can race another is re-decided on a 409 (`conflicts.ts`). The verbs:
 *   up.ts      `up`: a new spec starts its workflow; an unchanged one continues it, or repairs drift
 *   verbs.ts   `workflow resume|restart|suspend|terminate`, `rollback`, and picking the app
 *   status.ts  `status`: the recorded state beside what the cluster has (the report: `report.ts`),
 *              and waiting for a change
 *   diff.ts    `diff`: what `up` would change, checked by the server with dry-run
 *   list.ts    `ls` and `history`: the apps of a namespace (or all), an app's revisions
 *   delete.ts  `delete`: everything vela-ts made for an app, routes first, its state last
 */
export type { EngineContext, EngineClock, Reporter } from './context.js';
export { silentReporter } from './context.js';
export type { Outcome } from './drive.js';
export { up, type UpResult } from './up.js';
export {
  appWritten,
  edit,
  pickApp,
  readApp,
  restart,
  resume,
  rollback,
  StaleView,
  type Bound,
} from './verbs.js';
export type { Stored } from './store.js';
export { nextChange, observe, status, type Observed } from './status.js';
export type { StatusReport } from './report.js';
export { diff, type DiffReport, type ObjectDiff } from './diff.js';
export { listAppSummaries, revisionHistory, type AppSummary, type RevisionEntry } from './list.js';
export { deleteApp } from './delete.js';
