export * from './types.js';
export {
  begin,
  drainCanary,
  failStep,
  gateDeadline,
  recordReading,
  next,
  operate,
  startRollback,
  specHash,
  isFinished,
  OperationRefused,
} from './run.js';
export type { Operation, Refusal } from './run.js';
export { placementsAfter, simulate, settled } from './simulate.js';
export type { PlacementChange, SimulatedStep, Simulation } from './simulate.js';
export { liveRevisions, plannedSteps, readinessGates, rollbackTarget, stepComponent } from './steps.js';
