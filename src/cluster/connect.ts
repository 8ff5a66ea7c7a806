/**
 * The factory: kubeconfig (or the in-process sandbox) -> a ready ClusterClient. The sandbox (and,
 * through kubeconfig.ts, client-node for exec plugins, auth providers and proxies) is imported
 * lazily, so commands that need neither never pay for loading them.
 */
import type http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { ClusterError } from '../errors.js';
import { redact, registerSecret } from '../redact.js';
import { KubeClusterClient, USER_AGENT } from './client.js';
import { httpsOptionsFor, loadKubeconfig, registerAuthHeader, type LoadedKubeconfig } from './kubeconfig.js';
import type { ClientClock, RetryPolicy } from './retry.js';
import { shareSandbox, type Guest, type Owner } from './sandbox-share.js';
import { HttpsTransport } from './transport.js';
import type { ClusterClient } from './types.js';
import type { Sandbox } from '../sandbox/index.js';

export interface ConnectOptions {
  kubeconfig?: string;
  context?: string;
  /** Start vela-ts's sandbox in-process, state under `<cwd>/.vela-ts/`. */
  sandbox?: boolean;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Passed to the in-process sandbox (tests make pods ready sooner, or the API flaky). */
  sandboxOptions?: { readyDelayMs?: number; failRate?: number; auditLogPath?: string };
  clock?: ClientClock;
  retry?: RetryPolicy;
  /** Told why closing waits (a sandbox this process serves is still used by other commands). */
  notice?: (line: string) => void;
  /** How long one request may go unanswered (default 30 s); a command's --timeout shortens it. */
  requestTimeoutMs?: number;
}

export type ConnectedClient = ClusterClient & {
  close(): Promise<void>;
  /** The kubeconfig turns TLS verification off (insecure-skip-tls-verify): the server is not authenticated. */
  insecure: boolean;
};

/** The name the sandbox gives its cluster and context in the kubeconfig it writes. */
const SANDBOX_CLUSTER_NAME = 'vela-ts-sandbox';

export async function connect(opts: ConnectOptions): Promise<ConnectedClient> {
  let sandbox: Sandbox | undefined;
  let share: Owner | Guest | undefined;
  try {
    let kubeconfigText: string | undefined;
    if (opts.sandbox) {
      const dir = path.join(opts.cwd, '.vela-ts');
      // Private whatever the umask: it holds the sandbox's token and state.
      const { mkdirPrivate } = await import('../sandbox/persistence.js');
      mkdirPrivate(dir);
      // The first process in the folder serves its state; later ones talk to it (sandbox-share.ts).
      share = await shareSandbox(path.join(dir, 'state.json'));
      if (share.role === 'owner') {
        const { startSandbox } = await import('../sandbox/index.js');
        const { findPrometheus } = await import('../sandbox/prometheus.js');
        // Registered when a binary is found, started only on the first request the service proxy
        // sends it: commands that never query Prometheus pay nothing for it.
        const prometheusBin = findPrometheus(opts.env);
        sandbox = await startSandbox({
          port: 0,
          statePath: path.join(dir, 'state.json'),
          kubeconfigPath: path.join(dir, 'kubeconfig'),
          ...(prometheusBin ? { prometheus: { bin: prometheusBin, lazy: true } } : {}),
          ...opts.sandboxOptions,
        });
        await share.serving(path.join(dir, 'kubeconfig'));
        kubeconfigText = sandbox.kubeconfig;
      } else kubeconfigText = share.kubeconfig;
    }

    const loaded = loadKubeconfig({
      kubeconfig: opts.kubeconfig,
      // The sandbox's kubeconfig has one context; --context names one of the user's own.
      context: sandbox ? undefined : opts.context,
      cwd: opts.cwd,
      env: opts.env,
      text: kubeconfigText,
    });
    const transport = await buildTransport(loaded, opts.requestTimeoutMs);
    const client = new KubeClusterClient({
      transport,
      defaultNamespace: loaded.defaultNamespace,
      context: loaded.contextName,
      // Known up front when we started it or its kubeconfig says so; otherwise the server's
      // X-Vela-Ts-Sandbox header tells on the first answer.
      sandbox: sandbox !== undefined || loaded.context.cluster === SANDBOX_CLUSTER_NAME,
      clock: opts.clock,
      retry: opts.retry,
    });
    const started = sandbox;
    const shared = share;
    return Object.assign(client, {
      insecure: !sandbox && Boolean(loaded.cluster.skipTLSVerify),
      close: async () => {
        transport.close();
        // An owner serves on until its guests have gone, then saves, and only then gives the state up.
        if (shared?.role === 'owner') await shared.drain({ notice: opts.notice });
        await started?.close();
        await shared?.release();
      },
    });
  } catch (err) {
    await sandbox?.close().catch(() => undefined);
    await share?.release();
    throw err;
  }
}

async function buildTransport(loaded: LoadedKubeconfig, requestTimeoutMs?: number): Promise<HttpsTransport> {
  const { cluster, user, contextName } = loaded;
  // kubectl refuses the same: a CA and "trust any certificate" cannot both be meant.
  if (cluster.skipTLSVerify && (cluster.caData || cluster.caFile)) {
    throw new ClusterError(
      `context "${contextName}": specifying a root certificates file with the insecure flag is not allowed (the kubeconfig sets both certificate-authority and insecure-skip-tls-verify)`,
      0,
      'BadKubeconfig',
    );
  }
  const first = await httpsOptions(loaded);
  let agent = first.agent as http.Agent;
  // The agent comes without keep-alive, as client-node makes it; reuse connections for speed.
  if (agent instanceof https.Agent && !cluster.proxyUrl) {
    const tls = agent.options;
    agent.destroy();
    agent = new https.Agent({ ...tls, keepAlive: true });
  }
  return new HttpsTransport({
    server: cluster.server,
    ...(requestTimeoutMs !== undefined ? { defaultTimeoutMs: requestTimeoutMs } : {}),
    agent,
    userAgent: `${USER_AGENT} (node ${process.version})`,
    servername: cluster.tlsServerName,
    authHeaders: authHeadersOf(first),
    // Exec plugins and auth providers hand out short-lived tokens: fetched again after a 401.
    refreshAuth:
      user?.exec || user?.authProvider
        ? async () => {
            const o = await httpsOptions(loaded);
            (o.agent as http.Agent | undefined)?.destroy();
            return authHeadersOf(o);
          }
        : undefined,
  });

  async function httpsOptions(l: LoadedKubeconfig): Promise<https.RequestOptions> {
    let o: https.RequestOptions;
    try {
      o = await httpsOptionsFor(l);
    } catch (err) {
      throw credentialError(err, contextName, cluster.server, user?.exec as { command?: string } | undefined);
    }
    return o;
  }
}

function authHeadersOf(o: https.RequestOptions): Record<string, string> {
  const out: Record<string, string> = {};
  const headers = (o.headers ?? {}) as Record<string, unknown>;
  for (const [k, v] of Object.entries(headers)) {
    if (typeof v === 'string') out[k] = v;
  }
  if (o.auth) out.Authorization = `Basic ${Buffer.from(o.auth).toString('base64')}`;
  registerAuthHeader(out.Authorization);
  // An exec plugin may hand out a client key instead of a token.
  if (typeof o.key === 'string' || Buffer.isBuffer(o.key)) registerSecret(o.key.toString().trim());
  return out;
}

function credentialError(
  err: unknown,
  context: string,
  server: string,
  exec?: { command?: string },
): ClusterError {
  const message = err instanceof Error ? err.message : String(err);
  // A failing plugin's output is never shown: it may hold the very secret it failed to hand over
  // (`login failed for token ...`), which nothing has registered for scrubbing yet.
  if (exec?.command) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    return new ClusterError(
      missing
        ? `the exec credential plugin "${exec.command}" of context "${context}" is not installed (not found on PATH)`
        : `the exec credential plugin "${exec.command}" of context "${context}" failed; its output is not shown, as it may hold secrets: run the plugin by hand to see why`,
      0,
      'Unauthorized',
    );
  }
  if (/HTTP protocol is not allowed/.test(message)) {
    return new ClusterError(
      `context "${context}" points at ${server} over plain HTTP; vela-ts needs HTTPS (or insecure-skip-tls-verify: true in the kubeconfig)`,
      0,
      'BadKubeconfig',
    );
  }
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'EACCES') {
    const file = (err as NodeJS.ErrnoException).path ?? 'a file';
    return new ClusterError(
      `cannot read ${file}, named in the kubeconfig for context "${context}" (${code})`,
      0,
      'BadKubeconfig',
    );
  }
  return new ClusterError(
    redact(`cannot get credentials for context "${context}": ${message.split('\n')[0] ?? ''}`),
    0,
    'Unauthorized',
  );
}
