/**
 * Kubeconfig loading as kubectl does it: `--kubeconfig FILE`, else every file in KUBECONFIG
 * (merged, the first file to set a value wins), else ~/.kube/config, else the in-cluster service
 * account. client-node does the parsing and the auth plumbing; its module is passed in so that
 * this file can be imported without loading it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Cluster, Context, KubeConfig, User } from '@kubernetes/client-node';
import { ClusterError } from '../errors.js';
import { redact, registerSecret } from '../redact.js';

type ClientNode = typeof import('@kubernetes/client-node');

export interface KubeconfigOptions {
  kubeconfig?: string;
  context?: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** A kubeconfig already in memory (the in-process sandbox's); the files are then not read. */
  text?: string;
}

export interface LoadedKubeconfig {
  kc: KubeConfig;
  contextName: string;
  context: Context;
  cluster: Cluster;
  user: User | undefined;
  defaultNamespace: string;
  /** What was read, for messages (`~/.kube/config`, or the list from KUBECONFIG). */
  source: string;
}

const SA_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** The files kubectl would read, in order, and how to name them in messages. */
export function kubeconfigFiles(opts: KubeconfigOptions): {
  files: string[];
  explicit: boolean;
  source: string;
} {
  if (opts.kubeconfig) {
    const file = path.resolve(opts.cwd, opts.kubeconfig);
    return { files: [file], explicit: true, source: opts.kubeconfig };
  }
  const fromEnv = opts.env.KUBECONFIG;
  if (fromEnv) {
    const files = fromEnv
      .split(path.delimiter)
      .filter((f) => f.length > 0)
      .map((f) => path.resolve(opts.cwd, f));
    return { files, explicit: false, source: `KUBECONFIG=${fromEnv}` };
  }
  const home = opts.env.HOME || opts.env.USERPROFILE || os.homedir();
  return { files: [path.join(home, '.kube', 'config')], explicit: false, source: '~/.kube/config' };
}

export function loadKubeconfig(k8s: ClientNode, opts: KubeconfigOptions): LoadedKubeconfig {
  const { files, explicit, source } =
    opts.text !== undefined
      ? { files: [], explicit: false, source: 'the sandbox kubeconfig' }
      : kubeconfigFiles(opts);
  const existing = files.filter((f) => fs.existsSync(f));
  if (explicit && existing.length === 0) {
    throw new ClusterError(`kubeconfig "${source}" does not exist`, 0, 'NoKubeconfig');
  }

  const kc = new k8s.KubeConfig();
  if (opts.text !== undefined) {
    kc.loadFromString(opts.text);
  } else if (existing.length === 0) {
    if (opts.env.KUBERNETES_SERVICE_HOST && fs.existsSync(SA_TOKEN)) {
      kc.loadFromCluster();
    } else {
      const what = opts.env.KUBECONFIG
        ? `none of the files in ${source} exist`
        : `${source} does not exist and KUBECONFIG is not set`;
      throw new ClusterError(
        `no kubeconfig found: ${what}; pass --kubeconfig FILE, or --sandbox to use the embedded sandbox`,
        0,
        'NoKubeconfig',
      );
    }
  } else {
    mergeInto(k8s, kc, existing);
  }

  const contexts = kc.getContexts();
  const available = contexts.length ? contexts.map((c) => c.name).join(', ') : '(none)';
  const contextName = opts.context ?? kc.getCurrentContext();
  if (!contextName) {
    throw new ClusterError(
      `no current context is set in ${source}; pass --context NAME (available: ${available})`,
      0,
      'NoContext',
    );
  }
  const context = contexts.find((c) => c.name === contextName);
  if (!context) {
    throw new ClusterError(
      `context "${contextName}" is not in ${source}; available contexts: ${available}`,
      0,
      'NoContext',
    );
  }
  kc.setCurrentContext(contextName);
  const cluster = kc.getCluster(context.cluster);
  if (!cluster) {
    throw new ClusterError(
      `context "${contextName}" names cluster "${context.cluster}", which is not in ${source}`,
      0,
      'NoContext',
    );
  }
  const user = context.user ? (kc.getUser(context.user) ?? undefined) : undefined;
  if (context.user && !user) {
    throw new ClusterError(
      `context "${contextName}" names user "${context.user}", which is not in ${source}`,
      0,
      'NoContext',
    );
  }

  for (const u of kc.getUsers()) registerUserSecrets(u);
  return {
    kc,
    contextName,
    context,
    cluster,
    user,
    defaultNamespace: context.namespace || 'default',
    source,
  };
}

/**
 * kubectl's merge: the first file that sets current-context wins, and a cluster, user or context
 * name seen again in a later file is ignored. (client-node's own mergeConfig throws on duplicates
 * and lets the last current-context win, so it is not used.)
 */
function mergeInto(k8s: ClientNode, kc: KubeConfig, files: string[]): void {
  const clusters: Cluster[] = [];
  const users: User[] = [];
  const contexts: Context[] = [];
  let currentContext: string | undefined;
  const add = <T extends { name: string }>(into: T[], items: T[]) => {
    for (const item of items) if (!into.some((x) => x.name === item.name)) into.push(item);
  };
  for (const file of files) {
    const one = new k8s.KubeConfig();
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new ClusterError(
        `cannot read kubeconfig ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
        0,
        'BadKubeconfig',
      );
    }
    if (text.trim() === '') continue;
    try {
      one.loadFromString(text);
      one.makePathsAbsolute(path.dirname(file));
    } catch (err) {
      throw new ClusterError(
        `kubeconfig ${file} is not valid: ${describeLoadError(err)}`,
        0,
        'BadKubeconfig',
      );
    }
    currentContext ??= one.getCurrentContext() || undefined;
    add(clusters, one.getClusters());
    add(users, one.getUsers());
    add(contexts, one.getContexts());
  }
  kc.loadFromOptions({ clusters, users, contexts, currentContext });
}

/** A YAML error quotes the file around the fault, which may hold a credential: give only the line. */
function describeLoadError(err: unknown): string {
  const e = err as { name?: string; mark?: { line?: number }; reason?: string; message?: string };
  if (e.name === 'YAMLException') {
    const line = e.mark?.line !== undefined ? ` at line ${e.mark.line + 1}` : '';
    return `YAML syntax error${line}${e.reason ? ` (${e.reason})` : ''}`;
  }
  return redact(e.message ?? String(err));
}

const secretConfigKey = /token|secret|password|key/i;

/** Every credential the kubeconfig holds goes to the redactor, so no output can ever show it. */
function registerUserSecrets(user: User): void {
  registerSecret(user.token);
  registerSecret(user.password);
  for (const data of [user.keyData, user.certData]) {
    if (!data) continue;
    registerSecret(data);
    registerSecret(Buffer.from(data, 'base64').toString('utf8').trim());
  }
  const providerConfig =
    (user.authProvider as { config?: Record<string, unknown> } | undefined)?.config ?? {};
  for (const [key, value] of Object.entries(providerConfig)) {
    if (typeof value === 'string' && secretConfigKey.test(key)) registerSecret(value);
  }
  const execEnv = (user.exec as { env?: { name?: unknown; value?: unknown }[] } | undefined)?.env ?? [];
  for (const entry of execEnv) {
    if (
      typeof entry.name === 'string' &&
      typeof entry.value === 'string' &&
      secretConfigKey.test(entry.name)
    ) {
      registerSecret(entry.value);
    }
  }
  if (user.keyFile) {
    try {
      registerSecret(fs.readFileSync(user.keyFile, 'utf8').trim());
    } catch {
      // Unreadable key file: the TLS setup will report it.
    }
  }
}

/** Registers the credential carried by an Authorization header (exec and auth-provider tokens). */
export function registerAuthHeader(value: string | undefined): void {
  if (!value) return;
  registerSecret(value);
  const m = /^(?:Bearer|Basic)\s+(.+)$/i.exec(value);
  if (m) {
    registerSecret(m[1]);
    if (/^basic/i.test(value)) {
      const decoded = Buffer.from(m[1] ?? '', 'base64').toString('utf8');
      registerSecret(decoded.slice(decoded.indexOf(':') + 1));
    }
  }
}
