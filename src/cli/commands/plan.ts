import { compile, type KubeObject } from '../../compile/index.js';
import { begin, settled, simulate, type AppState, type SimulatedStep } from '../../workflow/index.js';
import { toJson } from '../format.js';
import type { IO } from '../io.js';
import { loadAppFile, locateRefusal, resolveNamespace } from '../load.js';
import { UsageError } from '../../errors.js';
import type { GlobalOptions } from '../globals.js';
import { describePlacement } from '../describe.js';
import { EXIT_FAILED, EXIT_OK } from '../errors.js';

export interface PlanOptions {
  file: string;
  /** Files deployed before, oldest first; the plan starts after the last finished. */
  from: string[];
  output: 'text' | 'json';
  globals: GlobalOptions;
}

// A fixed clock: plans are byte-stable and say nothing about when they were made.
const EPOCH = '1970-01-01T00:00:00.000Z';

/**
 * Simulates FILE's workflow offline with the same workflow core `up` runs. With --from, it starts
 * where PREVIOUS left the cluster after its own workflow completed. Exit 1 when a step would fail.
 */
function gate(s: SimulatedStep): string {
  const spec = s.state.app.workflow?.[s.index];
  const duration = spec?.type === 'suspend' ? spec.properties.duration : undefined;
  const what = duration ? `pauses for ${duration} (or until resumed)` : 'waits for approval';
  return s.message ? `${what}: ${s.message}` : what;
}

export async function plan(opts: PlanOptions, io: IO): Promise<number> {
  const parsed = await loadAppFile(opts.file, io.stdin);
  const namespace = resolveNamespace(parsed, opts.globals.namespace);
  let previous: AppState | undefined;
  for (const from of opts.from) {
    const earlier = await loadAppFile(from);
    if (earlier.app.name !== parsed.app.name) {
      io.stderr.write(
        `note: ${from} is app "${earlier.app.name}", ${opts.file} is app "${parsed.app.name}"\n`,
      );
    }
    try {
      previous = settled(earlier.app, namespace, previous, EPOCH);
    } catch (err) {
      // Say which file: a refusal here is about the earlier file, not the one being planned.
      const located = locateRefusal(earlier, err);
      if (located !== err) throw located;
      if (err instanceof UsageError) throw new UsageError(`${from} (--from): ${err.message}`);
      throw err;
    }
  }
  let started: AppState;
  try {
    started = begin(parsed.app, namespace, previous, EPOCH);
  } catch (err) {
    throw locateRefusal(parsed, err);
  }
  const { steps } = simulate(started, EPOCH);
  const manifests = (s: SimulatedStep): KubeObject[] =>
    compile(s.state.app, namespace, s.state.placement, s.state.revisions);

  if (opts.output === 'json') {
    io.stdout.write(
      toJson({
        steps: steps.map((s) => ({
          name: s.name,
          type: s.type,
          phase: s.phase,
          ...(s.message ? { message: s.message } : {}),
          moves: s.moves,
          manifests: manifests(s),
        })),
      }),
    );
  } else {
    io.stdout.write(
      `Plan for ${parsed.app.name} in namespace ${namespace}${opts.from.length ? `, after ${opts.from.join(', then ')}` : ', as a first deploy'}\n`,
    );
    steps.forEach((s, i) => {
      const verdict =
        s.phase === 'failed' ? `FAILS: ${s.message ?? ''}` : s.phase === 'suspended' ? gate(s) : 'done';
      io.stdout.write(`\n${i + 1}. ${s.name} (${s.type}) ${verdict}\n`);
      for (const move of s.moves) io.stdout.write(`   - ${move}\n`);
      for (const line of describePlacement(s.state)) io.stdout.write(`   ${line}\n`);
    });
  }
  return steps.some((s) => s.phase === 'failed') ? EXIT_FAILED : EXIT_OK;
}
