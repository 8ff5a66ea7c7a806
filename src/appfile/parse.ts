/**
 * Application file -> typed Application, or an InputError listing every problem with its file,
 * line, column and YAML path. Pure: text in, value or error out.
 *
 * Decisions (mirrored in the README):
 * - YAML syntax problems (duplicate keys, tabs, bad indentation, unclosed quotes) are reported on
 *   their own: once the structure is broken, schema errors would only be noise.
 * - A file holds exactly one Application; further non-empty documents are errors (`---` followed
 *   by nothing is fine).
 * - metadata fields the API server fills in (uid, resourceVersion, creationTimestamp, ...) and the
 *   top-level `status` are ignored, so `kubectl get app -o yaml` output can be fed back in. Any
 *   other unknown field is an error.
 * - YAML 1.1, as kubectl and KubeVela read it (sigs.k8s.io/yaml): `defaultMode: 0644` is octal,
 *   and `yes`/`no`/`on`/`off` are booleans (so `value: yes` must be quoted to be a string).
 * - An explicit null (`properties:` with nothing under it) reads as "not set".
 * - Nothing is defaulted here; the compiler owns defaults.
 */
import {
  LineCounter,
  Scalar,
  isMap,
  isScalar,
  isSeq,
  parseAllDocuments,
  type Document,
  type Node,
} from 'yaml';
import { InputError, type Issue } from '../errors.js';
import { collectLines, keyPath, nodePos, posAt, type Pos } from './locate.js';
import {
  COMPONENT_NAME,
  STEP_NAME,
  annotations,
  componentTypes,
  dnsLabel,
  labels,
  revisionPattern,
  stepTypes,
  traitTypes,
} from './schema.js';
import { didYouMean } from './suggest.js';
import { DURATION } from '../duration.js';
import type {
  Application,
  Component,
  ParsedFile,
  StepType,
  Trait,
  TraitType,
  WorkflowStep,
} from './types.js';
import {
  Ctx,
  custom,
  describe,
  entries,
  isNull,
  itemCursor,
  locateBelow,
  object,
  oneOf,
  opt,
  req,
  string,
  typeError,
  type Cursor,
  type Schema,
} from './validate.js';

const API_VERSION = 'core.oam.dev/v1beta1';
const KIND = 'Application';

/** metadata fields written by the API server; accepted and dropped. */
const SERVER_METADATA = [
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
  'finalizers',
  'ownerReferences',
] as const;

export function parseApplication(text: string, file: string): ParsedFile {
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, {
    version: '1.1',
    lineCounter: lc,
    uniqueKeys: true,
    prettyErrors: false,
    strict: true,
  });
  const syntax = syntaxIssues(docs, text, lc, file);
  if (syntax.length > 0) throw new InputError(sortIssues(syntax));

  const real = docs.filter((d) => !isEmptyDocument(d));
  const first = real[0];
  if (first === undefined) {
    throw new InputError([
      {
        file,
        line: 0,
        column: 0,
        path: '',
        message: `the file is empty: expected an ${KIND} (apiVersion: ${API_VERSION})`,
      },
    ]);
  }
  const ctx = new Ctx(file, lc, first);
  for (const extra of real.slice(1)) {
    const pos = nodePos(lc, extra.contents) ?? posAt(lc, extra.range[0]);
    ctx.report(
      pos,
      '',
      `expected exactly one ${KIND} document, but the file has ${real.length}: put each application in its own file`,
    );
  }

  const root = ctx.resolve(first.contents);
  const rootPos = nodePos(lc, first.contents) ?? { line: 1, column: 1 };
  const app = readApplication({ node: root as Node, path: '', pos: rootPos, keyPos: rootPos }, ctx);
  if (ctx.issues.length > 0 || app === undefined) throw new InputError(sortIssues(ctx.issues));
  return { file, app, lines: collectLines(first.contents, lc) };
}

// ---------------------------------------------------------------------------------------------
// YAML level

function isEmptyDocument(doc: Document): boolean {
  return (
    doc.contents === null ||
    (isScalar(doc.contents) && doc.contents.value === null && doc.contents.source === '')
  );
}

const INDENT_CODES = new Set(['BAD_INDENT', 'BLOCK_AS_IMPLICIT_KEY', 'MULTILINE_IMPLICIT_KEY']);

function syntaxIssues(docs: Document[], text: string, lc: LineCounter, file: string): Issue[] {
  const issues: Issue[] = [];
  const seenLines = new Set<number>();
  for (const doc of docs) {
    for (const e of [...doc.errors, ...doc.warnings]) {
      // The library sometimes points at the blank line before the offending token; point at the token.
      let offset = e.pos[0];
      const restOfLine = /^[^\n]*/.exec(text.slice(offset))?.[0] ?? '';
      if (restOfLine.trim() === '' && e.code !== 'TAB_AS_INDENT') {
        while (offset < text.length && /\s/.test(text[offset] ?? '')) offset++;
        if (offset >= text.length) offset = e.pos[0];
      }
      const pos = posAt(lc, offset);
      // A tab throws the indentation of what follows off: the lines after it are not separately wrong.
      const afterTab =
        e.code !== 'TAB_AS_INDENT' &&
        INDENT_CODES.has(e.code) &&
        issues.some((i) => i.message.includes('tabs are not allowed') && i.line < pos.line);
      if (afterTab) continue;
      // One message per line: a single mis-indented line often trips several parser rules.
      if (seenLines.has(pos.line)) continue;
      seenLines.add(pos.line);
      issues.push({
        file,
        line: pos.line,
        column: pos.column,
        path: '',
        message: syntaxMessage(e.code, e.message, text, offset),
      });
    }
  }
  return issues;
}

function syntaxMessage(code: string, message: string, text: string, offset: number): string {
  const detail = message.split('\n')[0]?.replace(/ at line \d+, column \d+.*$/, '') ?? message;
  switch (code) {
    case 'DUPLICATE_KEY': {
      const key = /^[^:\n]*/.exec(text.slice(offset))?.[0].trim() ?? '';
      return `YAML error: duplicate key ${JSON.stringify(key.replace(/^["']|["']$/g, ''))} (each key may appear once in a mapping)`;
    }
    case 'TAB_AS_INDENT':
      return 'YAML error: tabs are not allowed for indentation; indent with spaces';
    case 'TAG_RESOLVE_FAILED':
      return `YAML error: ${lowerFirst(detail)} (custom tags are not supported)`;
    default:
      if (INDENT_CODES.has(code)) {
        const line = /^[^\n]*/.exec(text.slice(offset))?.[0].trim() ?? '';
        const at = line ? ` at ${JSON.stringify(line.length > 40 ? `${line.slice(0, 40)}...` : line)}` : '';
        return `YAML error: bad indentation${at}: ${lowerFirst(detail)} (check the indentation of this line against the lines above it)`;
      }
      return `YAML error: ${detail}`;
  }
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

function sortIssues(issues: readonly Issue[]): Issue[] {
  const seen = new Set<string>();
  return [...issues]
    .filter((i) => {
      const k = `${i.line}:${i.column}:${i.path}:${i.message}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    })
    .sort((a, b) => a.line - b.line || a.column - b.column || a.path.localeCompare(b.path));
}

// ---------------------------------------------------------------------------------------------
// envelope

function exactValue(expected: string, what: string): Schema<string> {
  return custom(`"${expected}"`, (cur, ctx) => {
    const v = string().check(cur, ctx);
    if (v === undefined) return undefined;
    if (v === expected) return v;
    ctx.report(cur.pos, cur.path, `expected ${what} ${JSON.stringify(expected)}, got ${JSON.stringify(v)}`);
    return undefined;
  });
}

const metadata = object(
  {
    name: req(string(dnsLabel)),
    namespace: opt(string(dnsLabel)),
    labels: opt(labels),
    annotations: opt(annotations),
  },
  { ignore: SERVER_METADATA, what: 'metadata' },
);

function readApplication(cur: Cursor, ctx: Ctx): Application | undefined {
  if (!isMap(cur.node)) {
    ctx.report(
      cur.pos,
      '',
      `expected an ${KIND} (a mapping with apiVersion, kind, metadata and spec), got ${describe(cur.node)}`,
    );
    return undefined;
  }
  const envelope = object(
    {
      apiVersion: req(exactValue(API_VERSION, 'apiVersion')),
      kind: req(exactValue(KIND, 'kind')),
      metadata: req(metadata),
      spec: req(custom('a mapping', (c, x) => readSpec(c, x))),
    },
    { ignore: ['status'], what: `an ${KIND}` },
  );
  const v = envelope.check(cur, ctx);
  if (v === undefined) return undefined;
  const app: Application = {
    name: v.metadata.name,
    labels: v.metadata.labels ?? {},
    annotations: v.metadata.annotations ?? {},
    components: v.spec.components,
  };
  if (v.metadata.namespace !== undefined) app.namespace = v.metadata.namespace;
  if (v.spec.workflow !== undefined) app.workflow = v.spec.workflow;
  return app;
}

/** Fields of an envelope mapping (spec, component, trait, step): unknown keys are reported, nulls dropped. */
function fields(
  cur: Cursor,
  ctx: Ctx,
  known: readonly string[],
  what: string,
): Map<string, Cursor> | undefined {
  if (!isMap(cur.node)) {
    typeError(cur, ctx, `a mapping (${what})`);
    return undefined;
  }
  const out = new Map<string, Cursor>();
  for (const e of entries(cur, ctx)) {
    if (!known.includes(e.key)) {
      ctx.report(e.keyPos, e.cur.path, `unknown field "${e.key}" in ${what}${didYouMean(e.key, known)}`);
      continue;
    }
    if (!isNull(e.cur.node)) out.set(e.key, e.cur);
  }
  return out;
}

function missing(parent: Cursor, ctx: Ctx, field: string, hint = ''): undefined {
  ctx.report(parent.keyPos, keyPath(parent.path, field), `missing required field "${field}"${hint}`);
  return undefined;
}

/** An absent `properties` is checked like an empty mapping, reported where its owner starts. */
function propertiesCursor(owner: Cursor, given: Cursor | undefined): Cursor {
  return (
    given ?? {
      node: emptyNode(),
      path: keyPath(owner.path, 'properties'),
      pos: owner.keyPos,
      keyPos: owner.keyPos,
    }
  );
}
function emptyNode(): Node {
  return new Scalar(null);
}

/** What later checks need to know about a component, even when parts of it are invalid. */
interface ComponentFacts {
  name: string | undefined;
  namePos: Pos;
  /** Trait type -> validated properties (undefined when they were invalid). */
  traits: Map<TraitType, Trait['properties'] | undefined>;
  /** False when the name or some trait type could not be read: cross-checks then stay quiet. */
  complete: boolean;
}

function readSpec(cur: Cursor, ctx: Ctx): { components: Component[]; workflow?: WorkflowStep[] } | undefined {
  const f = fields(cur, ctx, ['components', 'workflow'], 'spec');
  if (!f) return undefined;
  const compsCur = f.get('components');
  if (!compsCur) return missing(cur, ctx, 'components');
  if (!isSeq(compsCur.node)) return typeError(compsCur, ctx, 'a list of components');
  if (compsCur.node.items.length === 0) {
    ctx.report(compsCur.pos, compsCur.path, 'must list at least one component');
    return undefined;
  }

  const facts: ComponentFacts[] = [];
  const components: (Component | undefined)[] = compsCur.node.items.map((raw, i) => {
    const r = readComponent(itemCursor(compsCur, ctx, raw, i), ctx);
    facts.push(r.facts);
    return r.component;
  });

  const firstByName = new Map<string, ComponentFacts>();
  facts.forEach((c, i) => {
    if (c.name === undefined) return;
    const prev = firstByName.get(c.name);
    if (prev) {
      ctx.report(
        c.namePos,
        `${compsCur.path}[${i}].name`,
        `duplicate component name "${c.name}" (first used on line ${prev.namePos.line})`,
      );
    } else firstByName.set(c.name, c);
  });

  let workflow: WorkflowStep[] | undefined;
  const wfCur = f.get('workflow');
  if (wfCur) workflow = readWorkflow(wfCur, ctx, facts);

  if (components.some((c) => c === undefined) || (wfCur && workflow === undefined)) return undefined;
  const spec: { components: Component[]; workflow?: WorkflowStep[] } = {
    components: components as Component[],
  };
  if (workflow) spec.workflow = workflow;
  return spec;
}

const COMPONENT_FIELDS = ['name', 'type', 'properties', 'traits'];
const TRAIT_NAMES = Object.keys(traitTypes) as TraitType[];
const componentTypeSchema = oneOf(
  Object.keys(componentTypes) as (keyof typeof componentTypes)[],
  'component type',
);
const traitTypeSchema = oneOf(TRAIT_NAMES, 'trait type');
const componentName = string(COMPONENT_NAME);

function readComponent(cur: Cursor, ctx: Ctx): { component?: Component; facts: ComponentFacts } {
  const facts: ComponentFacts = { name: undefined, namePos: cur.keyPos, traits: new Map(), complete: false };
  const f = fields(cur, ctx, COMPONENT_FIELDS, 'a component');
  if (!f) return { facts };
  let ok = true;

  const nameCur = f.get('name');
  const name = nameCur ? componentName.check(nameCur, ctx) : missing(cur, ctx, 'name');
  if (nameCur) facts.namePos = nameCur.pos;
  facts.name = name;

  const typeCur = f.get('type');
  const type = typeCur
    ? componentTypeSchema.check(typeCur, ctx)
    : missing(cur, ctx, 'type', ' (e.g. webservice)');
  let properties: Component['properties'] | undefined;
  if (type !== undefined)
    properties = componentTypes[type].check(propertiesCursor(cur, f.get('properties')), ctx);

  const traits: Trait[] = [];
  let traitsKnown = true;
  const traitsCur = f.get('traits');
  if (traitsCur && !isSeq(traitsCur.node)) {
    typeError(traitsCur, ctx, 'a list of traits');
    ok = traitsKnown = false;
  } else if (traitsCur && isSeq(traitsCur.node)) {
    const typePos = new Map<TraitType, Pos>();
    traitsCur.node.items.forEach((raw, j) => {
      const tCur = itemCursor(traitsCur, ctx, raw, j);
      const tf = fields(tCur, ctx, ['type', 'properties'], 'a trait');
      if (!tf) return void (ok = traitsKnown = false);
      const tTypeCur = tf.get('type');
      const tType = tTypeCur ? traitTypeSchema.check(tTypeCur, ctx) : missing(tCur, ctx, 'type');
      if (tType === undefined || tTypeCur === undefined) return void (ok = traitsKnown = false);

      const propsCur = propertiesCursor(tCur, tf.get('properties'));
      const props = (traitTypes[tType] as Schema<Trait['properties']>).check(propsCur, ctx);
      if (props === undefined) ok = false;

      const prev = typePos.get(tType);
      if (prev) {
        ctx.report(
          tTypeCur.pos,
          tTypeCur.path,
          `duplicate trait "${tType}": a component may have each trait once (first on line ${prev.line})`,
        );
        ok = false;
        return;
      }
      const conflict = tType === 'scaler' ? 'rollout' : tType === 'rollout' ? 'scaler' : undefined;
      if (conflict && typePos.has(conflict)) {
        ctx.report(
          tTypeCur.pos,
          tTypeCur.path,
          'a component cannot have both "scaler" and "rollout" traits: rollout.targetSize sets the replica count',
        );
        ok = false;
      }
      typePos.set(tType, tTypeCur.pos);
      facts.traits.set(tType, props);

      if (tType === 'rollout' && props && name !== undefined) {
        const target = (props as { targetRevision?: string }).targetRevision;
        if (target !== undefined && !revisionPattern(name).test(target)) {
          ctx.report(
            locateBelow(propsCur, ctx, '.targetRevision'),
            `${propsCur.path}.targetRevision`,
            `"${target}" is not a revision of component "${name}": expected "${name}-v<N>"`,
          );
          ok = false;
        }
      }
      if (props !== undefined) traits.push({ type: tType, properties: props } as Trait);
    });
  }
  facts.complete = name !== undefined && traitsKnown;

  if (!ok || name === undefined || type === undefined || properties === undefined) return { facts };
  return { component: { name, type, properties, traits }, facts };
}

// ---------------------------------------------------------------------------------------------
// workflow

const STEP_NAMES = Object.keys(stepTypes) as StepType[];
const stepTypeSchema = oneOf(STEP_NAMES, 'step type');
const stepName = string(STEP_NAME);
const stepTimeout = string({ pattern: DURATION, what: 'a duration such as "10m" or "1h"' });

function readWorkflow(cur: Cursor, ctx: Ctx, components: ComponentFacts[]): WorkflowStep[] | undefined {
  const f = fields(cur, ctx, ['steps'], 'workflow');
  if (!f) return undefined;
  const stepsCur = f.get('steps');
  if (!stepsCur) return missing(cur, ctx, 'steps');
  if (!isSeq(stepsCur.node)) return typeError(stepsCur, ctx, 'a list of steps');
  if (stepsCur.node.items.length === 0) {
    ctx.report(
      stepsCur.pos,
      stepsCur.path,
      'must list at least one step (leave spec.workflow out to apply every component at once)',
    );
    return undefined;
  }
  let ok = true;
  const steps: WorkflowStep[] = [];
  const firstByName = new Map<string, Pos>();
  stepsCur.node.items.forEach((raw, i) => {
    const sCur = itemCursor(stepsCur, ctx, raw, i);
    const sf = fields(sCur, ctx, ['name', 'type', 'properties', 'timeout'], 'a workflow step');
    if (!sf) return void (ok = false);
    const nameCur = sf.get('name');
    const name = nameCur ? stepName.check(nameCur, ctx) : missing(sCur, ctx, 'name');
    if (name !== undefined && nameCur) {
      const prev = firstByName.get(name);
      if (prev) {
        ctx.report(
          nameCur.pos,
          nameCur.path,
          `duplicate step name "${name}" (first used on line ${prev.line})`,
        );
        ok = false;
      } else firstByName.set(name, nameCur.pos);
    }
    const typeCur = sf.get('type');
    const type = typeCur ? stepTypeSchema.check(typeCur, ctx) : missing(sCur, ctx, 'type');
    if (type === undefined) return void (ok = false);
    const propsCur = propertiesCursor(sCur, sf.get('properties'));
    const props = (stepTypes[type] as Schema<WorkflowStep['properties']>).check(propsCur, ctx);
    if (props === undefined) return void (ok = false);
    const timeoutCur = sf.get('timeout');
    let timeout: string | undefined;
    if (timeoutCur) {
      if (type !== 'check-metrics') {
        ctx.report(
          timeoutCur.pos,
          timeoutCur.path,
          `a ${type} step takes no timeout: only check-metrics steps do (the time a gate may go without a verdict); readiness waits are bounded by --timeout`,
        );
        return void (ok = false);
      }
      timeout = stepTimeout.check(timeoutCur, ctx);
      if (timeout === undefined) return void (ok = false);
    }
    const step = {
      name: name ?? '',
      type,
      properties: props,
      ...(timeout !== undefined ? { timeout } : {}),
    } as WorkflowStep;
    if (!checkStepTarget(step, sCur, propsCur, ctx, components) || name === undefined) ok = false;
    steps.push(step);
  });
  return ok ? steps : undefined;
}

/**
 * canary-rollout and canary-rollback act on one component with a rollout trait: the one named by
 * `component`, or else the only one there is (KubeVela took the first component, which acts on
 * the wrong one when there are several).
 */
function checkStepTarget(
  step: WorkflowStep,
  sCur: Cursor,
  propsCur: Cursor,
  ctx: Ctx,
  components: ComponentFacts[],
): boolean {
  if (step.type === 'suspend') return true;
  const complete = components.every((c) => c.complete);
  const at = (sub: string) => locateBelow(propsCur, ctx, sub);
  let ok = true;
  const fail = (pos: Pos, path: string, message: string) => {
    ctx.report(pos, path, message);
    ok = false;
  };

  let target: ComponentFacts | undefined;
  const named = step.properties.component;
  const withRollout = components.filter((c) => c.traits.has('rollout'));
  if (named !== undefined) {
    target = components.find((c) => c.name === named);
    if (!target) {
      if (complete) {
        const names = components.map((c) => c.name ?? '');
        fail(
          at('.component'),
          `${propsCur.path}.component`,
          `unknown component "${named}"${didYouMean(named, names)}`,
        );
      }
    } else if (!target.traits.has('rollout')) {
      fail(
        at('.component'),
        `${propsCur.path}.component`,
        `component "${named}" has no "rollout" trait, which a ${step.type} step needs`,
      );
      target = undefined;
    }
  } else if (complete) {
    if (withRollout.length === 1) target = withRollout[0];
    else if (withRollout.length === 0) {
      fail(
        sCur.keyPos,
        `${propsCur.path}.component`,
        `a ${step.type} step needs a component with a "rollout" trait, and none has one`,
      );
    } else {
      const names = withRollout.map((c) => `"${c.name ?? ''}"`).join(', ');
      fail(
        sCur.keyPos,
        `${propsCur.path}.component`,
        `several components have a "rollout" trait (${names}): say which one with properties.component`,
      );
    }
  }
  if (!target?.name) return ok;
  const comp = target.name;
  const revision = revisionPattern(comp);

  if (step.type === 'canary-rollout') {
    const rollout = target.traits.get('rollout') as
      { targetSize: number; rolloutBatches?: unknown[] } | undefined;
    const bp = step.properties.batchPartition;
    if (bp !== undefined && rollout) {
      const count = rollout.rolloutBatches?.length ?? 1;
      if (bp >= count) {
        const range = count === 1 ? 'only batch 0' : `batches 0 to ${count - 1}`;
        fail(
          at('.batchPartition'),
          `${propsCur.path}.batchPartition`,
          `batchPartition ${bp} is out of range: component "${comp}" rolls out in ${count} batch${count === 1 ? '' : 'es'} (${range})`,
        );
      }
    }
    const traffic = step.properties.traffic;
    if (traffic) {
      if (!target.traits.has('canary-traffic')) {
        fail(
          at('.traffic'),
          `${propsCur.path}.traffic`,
          `component "${comp}" has no "canary-traffic" trait, so there is no traffic to split`,
        );
      }
      traffic.weightedTargets.forEach((t, j) => {
        // `stable` and `canary` (vela-ts's names for the two ends of the rollout) always fit.
        if (!revision.test(t.revision) && t.revision !== 'stable' && t.revision !== 'canary') {
          const sub = `.traffic.weightedTargets[${j}].revision`;
          fail(
            at(sub),
            `${propsCur.path}${sub}`,
            `"${t.revision}" is not a revision of component "${comp}": expected "${comp}-v<N>"`,
          );
        }
      });
    }
  } else if (step.type === 'canary-rollback') {
    const version = step.properties.rollbackVersion;
    if (version !== undefined && !revision.test(version)) {
      fail(
        at('.rollbackVersion'),
        `${propsCur.path}.rollbackVersion`,
        `"${version}" is not a revision of component "${comp}": expected "${comp}-v<N>"`,
      );
    }
  }
  return ok;
}
