import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TlsMaterial } from './tls.js';
import type { KObject } from './util.js';

/**
 * What `--state FILE` keeps: every object, the resourceVersion counter, the allocators, and the CA,
 * certificate and token, so a kubeconfig written by an earlier run keeps working after a restart.
 */
export interface SandboxState {
  kind: 'VelaTsSandboxState';
  version: 1;
  resourceVersion: number;
  token: string;
  tls: TlsMaterial;
  allocations: { clusterIP: number; nodePort: number };
  objects: Array<{ resource: string; object: KObject }>;
}

export function loadState(file: string): SandboxState | undefined {
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8');
  let s: SandboxState;
  try {
    s = JSON.parse(text) as SandboxState;
  } catch (e) {
    throw new Error(`sandbox state ${file} is not valid JSON: ${(e as Error).message}`);
  }
  if (s.kind !== 'VelaTsSandboxState' || s.version !== 1)
    throw new Error(`sandbox state ${file} is not a vela-ts sandbox state file`);
  return s;
}

/** Writes through a temporary file and a rename, so a crash never leaves half a state file. */
export function saveState(file: string, state: SandboxState): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}
