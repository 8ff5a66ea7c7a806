/**
 * Positions and YAML paths. A path reads like the user's file: `spec.components[0].traits[1].port`;
 * keys that are not plain identifiers (label keys such as `app.kubernetes.io/name`) are written as
 * `labels["app.kubernetes.io/name"]` so a path always has one reading.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, type LineCounter, type Node } from 'yaml';

export interface Pos {
  line: number;
  column: number;
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export function keyPath(parent: string, key: string): string {
  if (!PLAIN_KEY.test(key)) return `${parent}[${JSON.stringify(key)}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

export function indexPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}

export function posAt(lc: LineCounter, offset: number): Pos {
  const { line, col } = lc.linePos(offset);
  return { line, column: col };
}

export function nodePos(lc: LineCounter, node: Node | null | undefined): Pos | undefined {
  const start = node?.range?.[0];
  return start === undefined ? undefined : posAt(lc, start);
}

/** The text of a scalar key, or undefined for complex keys (`? [a, b]: 1`). */
export function keyText(key: unknown): string | undefined {
  if (!isScalar(key)) return undefined;
  const v = key.value;
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'
    ? String(v)
    : v === null
      ? ''
      : undefined;
}

/**
 * Line of every node by YAML path: for a mapping entry the line of its key, for a list item the
 * line where the item starts. Aliases are not followed (their target has its own paths).
 */
export function collectLines(root: Node | null, lc: LineCounter): Map<string, number> {
  const lines = new Map<string, number>();
  const rootPos = nodePos(lc, root);
  if (rootPos) lines.set('', rootPos.line);
  const walk = (node: unknown, path: string): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = keyText(pair.key);
        if (key === undefined) continue;
        const child = keyPath(path, key);
        const pos = nodePos(lc, pair.key as Node);
        if (pos && !lines.has(child)) lines.set(child, pos.line);
        walk(pair.value, child);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const child = indexPath(path, i);
        const pos = nodePos(lc, item as Node);
        if (pos) lines.set(child, pos.line);
        walk(item, child);
      });
    } else if (isAlias(node)) {
      // the alias's own line is already recorded by its parent
    }
  };
  walk(root, '');
  return lines;
}
