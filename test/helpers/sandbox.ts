/**
 * A sandbox API server and a ClusterClient connected to it over HTTPS through a kubeconfig on
 * disk: the same path `vela-ts --kubeconfig` takes, in-process, for tests of the cluster adapter and
 * of the engine against a faithful API server.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect, type ConnectOptions, type ConnectedClient } from '../../src/cluster/connect.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/index.js';
import { auditEntry, readAudit } from './audit.js';
import { sharedTls } from './tls.js';

export interface AuditEntry {
  time: string;
  method: string;
  path: string;
  code: number;
  userAgent: string;
  contentType?: string;
  watch?: boolean;
}

export interface SandboxClient {
  sandbox: Sandbox;
  client: ConnectedClient;
  dir: string;
  kubeconfigPath: string;
  auditLogPath: string;
  /** The requests the sandbox has seen so far, oldest first. */
  audit(): AuditEntry[];
  /** The first request after the first `after` that satisfies `pred`, once the sandbox has answered it (no polling). */
  auditEntry(what: string, pred: (e: AuditEntry) => boolean, after?: number): Promise<AuditEntry>;
  /** Closes the client and the sandbox, and removes the folder. */
  close(): Promise<void>;
}

export async function startSandboxClient(
  opts: {
    sandbox?: SandboxOptions;
    client?: Pick<ConnectOptions, 'clock' | 'retry'>;
  } = {},
): Promise<SandboxClient> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vela-ts-cluster-'));
  const kubeconfigPath = path.join(dir, 'kubeconfig');
  const auditLogPath = path.join(dir, 'audit.log');
  const sandbox = await startSandbox({
    port: 0,
    readyDelayMs: 30,
    kubeconfigPath,
    auditLogPath,
    tls: sharedTls(),
    ...opts.sandbox,
  });
  const client = await connect({ kubeconfig: kubeconfigPath, cwd: dir, env: { HOME: dir }, ...opts.client });
  return {
    sandbox,
    client,
    dir,
    kubeconfigPath,
    auditLogPath,
    audit: () => readAudit<AuditEntry>(auditLogPath),
    auditEntry: (what, pred, after = 0) => auditEntry(auditLogPath, what, pred, { after }),
    close: async () => {
      await client.close();
      await sandbox.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
