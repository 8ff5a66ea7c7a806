import type { Writable } from 'node:stream';
import type { Component } from '../../appfile/types.js';
import { compile, objectChanges, type ObjectChange, type Placement } from '../../compile/index.js';
import {
  begin,
  placementsAfter,
  settled,
  simulate,
  type AppState,
  type SimulatedStep,
} from '../../workflow/index.js';
import { toYaml } from '../format.js';
import type { IO } from '../io.js';
import { loadAppFile, locateRefusal, resolveNamespace } from '../load.js';
import { UsageError } from '../../errors.js';
import type { GlobalOptions } from '../globals.js';
import { describeComponents } from '../describe.js';
import { EXIT_FAILED, EXIT_OK } from '../errors.js';

export interface PlanOptions {
  file: string;
  /** Files deployed before, oldest first; the plan starts after the last finished. */
  from: string[];
  output: 'text' | 'json';
  /** Every object after every step, not only the ones that change. */
  showObjects: boolean;
  globals: GlobalOptions;
}

// A fixed clock: plans are byte-stable and say nothing about when they were made.
const EPOCH = '1970-01-01T00:00:00.000Z';

/** The objects a step changes: each component it moved, rendered before and after the step. */
function stepChanges(
  state: AppState,
  components: ReadonlyMap<string, Component>,
  s: SimulatedStep,
): ObjectChange[] {
  return s.changes.flatMap((change) => {
    const component = components.get(change.component);
    if (!component) return [];
    const render = (p: typeof change.before) =>
      p
        ? compile(
            { ...state.app, components: [component] },
            state.namespace,
            { [component.name]: p },
            {
              [component.name]: state.revisions[component.name] ?? [],
            },
          )
        : [];
    return objectChanges(render(change.before), render(change.after));
  });
}

/** `+ Deployment reviews-v2`, `~ Deployment reviews-v1 (spec.replicas)`, `- Deployment reviews-v1`. */
function changeLines(changes: readonly ObjectChange[]): string[] {
  const sign = { create: '+', update: '~', delete: '-' } as const;
  return changes.map(
    (c) => `${sign[c.action]} ${c.kind} ${c.name}${c.fields ? ` (${c.fields.join(', ')})` : ''}`,
  );
}

/** Every line after the first indented by `n` spaces (a nested value in JSON.stringify's layout). */
function indent(json: string, n: number): string {
  return json.replace(/\n/g, `\n${' '.repeat(n)}`);
}

/** Writes in chunks of about 64 KiB: a plan of thousands of lines is not thousands of writes. */
class Chunked {
  private buffer = '';
  constructor(private readonly stream: Writable) {}
  write(text: string): void {
    this.buffer += text;
    if (this.buffer.length >= 65536) this.end();
  }
  end(): void {
    if (this.buffer) this.stream.write(this.buffer);
    this.buffer = '';
  }
}

/**
 * Simulates FILE's workflow offline with the same workflow core `up` runs. With --from, it starts
 * where PREVIOUS left the cluster after its own workflow completed. Exit 1 when a step would fail.
 */
function gate(state: AppState, s: SimulatedStep): string {
  const spec = state.app.workflow?.[s.index];
  const duration = spec?.type === 'suspend' ? spec.properties.duration : undefined;
  const what = duration ? `pauses for ${duration} (or until resumed)` : 'waits for approval';
  return s.message ? `${what}: ${s.message}` : what;
}

export async function plan(opts: PlanOptions, io: IO): Promise<number> {
  const parsed = await loadAppFile(opts.file, io);
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
  const out = new Chunked(io.stdout);
  const components = new Map(started.app.components.map((c) => [c.name, c]));
  const applied = objectChanges(
    previous ? compile(previous.app, namespace, previous.placement, previous.revisions) : [],
    compile(started.app, namespace, started.placement, started.revisions),
  );
  const after = opts.showObjects ? placementsAfter(started, steps) : undefined;
  const everything = () => {
    const placement = after?.next().value;
    return placement ? compile(started.app, namespace, placement, started.revisions) : [];
  };

  if (opts.output === 'json') {
    // Streamed a step at a time, in the layout of JSON.stringify(plan, null, 2): with every object
    // after every step, a plan of thousands of components is more text than one string may hold.
    out.write(`{\n  "applied": ${indent(JSON.stringify(applied, null, 2), 2)},\n  "steps": [`);
    steps.forEach((s, i) => {
      const step = {
        name: s.name,
        type: s.type,
        phase: s.phase,
        ...(s.message ? { message: s.message } : {}),
        moves: s.moves,
        changes: stepChanges(started, components, s),
        ...(after ? { manifests: everything() } : {}),
      };
      out.write(`${i === 0 ? '\n' : ',\n'}    ${indent(JSON.stringify(step, null, 2), 4)}`);
    });
    out.write(steps.length > 0 ? '\n  ]\n}\n' : ']\n}\n');
  } else {
    out.write(
      `Plan for ${parsed.app.name} in namespace ${namespace}${opts.from.length ? `, after ${opts.from.join(', then ')}` : ', as a first deploy'}\n`,
    );
    out.write(`\nApplied with the spec, before the first step:\n`);
    for (const line of changeLines(applied)) out.write(`   ${line}\n`);
    if (applied.length === 0) out.write('   nothing changes\n');
    // A gate shows where everything moved since the last gate stands: what is being approved.
    let sinceGate = new Set<string>();
    const latest: Placement = {};
    steps.forEach((s, i) => {
      const verdict =
        s.phase === 'failed'
          ? `FAILS: ${s.message ?? ''}`
          : s.phase === 'suspended'
            ? gate(started, s)
            : 'done';
      out.write(`\n${i + 1}. ${s.name} (${s.type}) ${verdict}\n`);
      for (const move of s.moves) out.write(`   - ${move}\n`);
      for (const c of s.changes) {
        sinceGate.add(c.component);
        latest[c.component] = c.after;
      }
      const shown = s.phase === 'suspended' ? [...sinceGate] : s.changes.map((c) => c.component);
      if (s.phase === 'suspended') sinceGate = new Set();
      const described = shown.flatMap((name) => components.get(name) ?? []);
      for (const line of describeComponents(described, latest)) out.write(`   ${line}\n`);
      for (const line of changeLines(stepChanges(started, components, s))) out.write(`   ${line}\n`);
      if (after) {
        const yaml = toYaml(everything());
        out.write(`   objects after this step:\n${yaml.replace(/^(?=.)/gm, '     ')}`);
      }
    });
  }
  out.end();
  return steps.some((s) => s.phase === 'failed') ? EXIT_FAILED : EXIT_OK;
}
