import { badRequest } from './errors.js';
import { printerFor } from './printers.js';
import { apiVersionOf, type ResourceType } from './registry.js';
import type { KObject, Obj } from './util.js';

/**
 * Server-side printing: the `meta.k8s.io` Table a real apiserver answers when the Accept header
 * asks for one (kubectl get without -o). The shape follows apiserver
 * pkg/endpoints/handlers/response.go (asTable) and apimachinery meta/v1 Table.
 */

export type TableVersion = 'v1' | 'v1beta1';
export type IncludeObject = 'Object' | 'Metadata' | 'None';

/**
 * The Table version the Accept header prefers, or undefined for the plain object. Clauses are
 * tried in order of q, then as written, like the apiserver's negotiation: the first plain JSON
 * clause (kubectl's trailing `application/json` fallback) ends the search, and a clause asking
 * for another conversion (PartialObjectMetadata, which the sandbox does not serve) is skipped.
 */
export function negotiateTable(accept: string | undefined): TableVersion | undefined {
  const clauses = (accept ?? '')
    .split(',')
    .map((part, i) => {
      const [base, ...rest] = part.split(';').map((s) => s.trim());
      const params: Record<string, string> = {};
      for (const p of rest) {
        const eq = p.indexOf('=');
        if (eq > 0) params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim();
      }
      const q = params.q === undefined ? 1 : Number(params.q);
      return { base: (base ?? '').toLowerCase(), params, q: Number.isFinite(q) ? q : 0, i };
    })
    .filter((c) => c.base !== '' && c.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const c of clauses) {
    if (!['application/json', 'application/*', '*/*'].includes(c.base)) continue;
    const { as, g, v } = c.params;
    if (as === undefined) return undefined;
    if (as === 'Table' && g === 'meta.k8s.io' && (v === 'v1' || v === 'v1beta1')) return v;
  }
  return undefined;
}

/** TableOptions from the query (`includeObject`), validated as apiserver ValidateTableOptions does. */
export function includeObjectOption(query: URLSearchParams): IncludeObject {
  const v = query.get('includeObject') ?? '';
  if (v === '' || v === 'Metadata') return 'Metadata';
  if (v === 'Object' || v === 'None') return v;
  throw badRequest(
    `Unable to convert to Table as requested: includeObject: Invalid value: "${v}": must be 'Metadata', 'Object', 'None', or empty`,
  );
}

export interface TableInput {
  rt: ResourceType;
  /** The version the request addressed, for includeObject=Object. */
  version: string;
  table: TableVersion;
  /** The objects, already as the client would see them at `version` (apiVersion/kind optional). */
  items: KObject[];
  /** resourceVersion, and for lists continue and remainingItemCount. */
  listMeta: Obj;
  include: IncludeObject;
  now: number;
  /** Watch events after the first carry no column definitions, as the apiserver sends them. */
  noHeaders?: boolean;
}

export function toTable(input: TableInput): Obj {
  const printer = printerFor(input.rt, input.version);
  const tableApiVersion = `meta.k8s.io/${input.table}`;
  const rows = input.items.map((item) => {
    const { cells, conditions } = printer.row(item, input.now);
    const row: Obj = { cells };
    if (conditions) row.conditions = conditions;
    row.object = rowObject(input, item, tableApiVersion);
    return row;
  });
  return {
    kind: 'Table',
    apiVersion: tableApiVersion,
    metadata: input.listMeta,
    columnDefinitions: input.noHeaders ? null : printer.columns,
    rows,
  };
}

function rowObject(input: TableInput, item: KObject, tableApiVersion: string): Obj | null {
  switch (input.include) {
    case 'None':
      return null;
    case 'Object': {
      const { apiVersion: _a, kind: _k, metadata, ...rest } = item;
      return { apiVersion: apiVersionOf(input.rt, input.version), kind: input.rt.kind, metadata, ...rest };
    }
    case 'Metadata':
      // meta.AsPartialObjectMetadata: the whole ObjectMeta (managedFields too), typed by the Table's group version.
      return { kind: 'PartialObjectMetadata', apiVersion: tableApiVersion, metadata: item.metadata };
  }
}
