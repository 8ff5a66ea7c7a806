/**
 * Kubeconfig loading as kubectl does it: `--kubeconfig FILE`, else every file in KUBECONFIG
 * (merged, the first file to set a value wins), else ~/.kube/config, else the in-cluster service
 * account.
 *
 * The parsing and the static credentials (CA, client certificate and key as files or data, token,
 * token file, basic auth, impersonation, insecure-skip-tls-verify) are done here, field for field
 * as @kubernetes/client-node's KubeConfig does them (test/cluster/kubeconfig-differential.test.ts
 * holds the two side by side): importing client-node costs ~400 ms at start-up, most of it the
 * generated API that vela-ts never calls. Only what needs its machinery loads it, lazily: exec
 * plugins, auth providers and proxy-url.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import type { Cluster, Context, User } from '@kubernetes/client-node';
import { ClusterError } from '../errors.js';
import { redact, registerSecret } from '../redact.js';

export type { Cluster, Context, User };

export interface KubeconfigOptions {
  kubeconfig?: string;
  context?: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** A kubeconfig already in memory (the in-process sandbox's); the files are then not read. */
  text?: string;
  /** Test hook: where the in-cluster service account is mounted. */
  serviceAccountDir?: string;
}

/** What client-node's `KubeConfig.loadFromOptions` takes: the delegate is built from it. */
export interface KubeconfigData {
  clusters: Cluster[];
  users: User[];
  contexts: Context[];
  currentContext: string | undefined;
}

export interface LoadedKubeconfig {
  config: KubeconfigData;
  contextName: string;
  context: Context;
  cluster: Cluster;
  user: User | undefined;
  defaultNamespace: string;
  /** What was read, for messages (`~/.kube/config`, or the list from KUBECONFIG). */
  source: string;
  /** The folder token-file paths are read relative to (client-node reads them from the working folder). */
  cwd: string;
}

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

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

export function loadKubeconfig(opts: KubeconfigOptions): LoadedKubeconfig {
  const { files, explicit, source } =
    opts.text !== undefined
      ? { files: [], explicit: false, source: 'the sandbox kubeconfig' }
      : kubeconfigFiles(opts);
  const existing = files.filter((f) => fs.existsSync(f));
  if (explicit && existing.length === 0) {
    throw new ClusterError(`kubeconfig "${source}" does not exist`, 0, 'NoKubeconfig');
  }

  let config: KubeconfigData;
  const saDir = opts.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  if (opts.text !== undefined) {
    config = parseKubeconfig(opts.text, opts.cwd);
  } else if (existing.length === 0) {
    if (opts.env.KUBERNETES_SERVICE_HOST && fs.existsSync(path.join(saDir, 'token'))) {
      config = inClusterConfig(opts.env, saDir);
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
    config = mergeFiles(existing, opts.cwd);
  }

  const { contexts } = config;
  const available = contexts.length ? contexts.map((c) => c.name).join(', ') : '(none)';
  const contextName = opts.context ?? config.currentContext;
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
  config.currentContext = contextName;
  const cluster = config.clusters.find((c) => c.name === context.cluster);
  if (!cluster) {
    throw new ClusterError(
      `context "${contextName}" names cluster "${context.cluster}", which is not in ${source}`,
      0,
      'NoContext',
    );
  }
  const user = context.user ? config.users.find((u) => u.name === context.user) : undefined;
  if (context.user && !user) {
    throw new ClusterError(
      `context "${contextName}" names user "${context.user}", which is not in ${source}`,
      0,
      'NoContext',
    );
  }

  for (const u of config.users) registerUserSecrets(u);
  return {
    config,
    contextName,
    context,
    cluster,
    user,
    defaultNamespace: context.namespace || 'default',
    source,
    cwd: opts.cwd,
  };
}

/**
 * kubectl's merge: the first file that sets current-context wins, and a cluster, user or context
 * name seen again in a later file is ignored. (client-node's own mergeConfig throws on duplicates
 * and lets the last current-context win, so it is not followed.) Relative certificate and key
 * paths are relative to the folder of the file that names them.
 */
function mergeFiles(files: string[], cwd: string): KubeconfigData {
  const merged: KubeconfigData = { clusters: [], users: [], contexts: [], currentContext: undefined };
  const add = <T extends { name: string }>(into: T[], items: T[]) => {
    for (const item of items) if (!into.some((x) => x.name === item.name)) into.push(item);
  };
  for (const file of files) {
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
    let one: KubeconfigData;
    try {
      one = parseKubeconfig(text, cwd);
      makePathsAbsolute(one, path.dirname(file));
    } catch (err) {
      throw new ClusterError(
        `kubeconfig ${file} is not valid: ${describeLoadError(err)}`,
        0,
        'BadKubeconfig',
      );
    }
    merged.currentContext ??= one.currentContext || undefined;
    add(merged.clusters, one.clusters);
    add(merged.users, one.users);
    add(merged.contexts, one.contexts);
  }
  return merged;
}

type Raw = Record<string, unknown> | null | undefined;
const rawList = (v: unknown): Raw[] => (Array.isArray(v) ? (v as Raw[]) : []);

/**
 * client-node's `loadFromString` (config_types.ts), entry for entry: the same required fields and
 * messages, the same defaults, a token file read as it is parsed (relative to the working folder,
 * untrimmed, as client-node reads it).
 */
export function parseKubeconfig(text: string, cwd: string): KubeconfigData {
  const obj = yaml.load(text) as Raw;
  // client-node fails on an empty document too (a scalar reads as a kubeconfig with nothing in it).
  if (obj === null || obj === undefined) throw new Error('the file holds no YAML document');
  const clusters = rawList(obj.clusters).map((elt, i): Cluster => {
    if (!elt?.name) throw new Error(`clusters[${i}].name is missing`);
    const c = elt.cluster as Raw;
    if (!c) throw new Error(`clusters[${i}].cluster is missing`);
    if (!c.server) throw new Error(`clusters[${i}].cluster.server is missing`);
    return {
      caData: c['certificate-authority-data'] as string | undefined,
      caFile: c['certificate-authority'] as string | undefined,
      name: elt.name as string,
      server: (c.server as string).replace(/\/$/, ''),
      skipTLSVerify: c['insecure-skip-tls-verify'] === true,
      tlsServerName: c['tls-server-name'] as string | undefined,
      proxyUrl: c['proxy-url'] as string | undefined,
    };
  });
  const users = rawList(obj.users).map((elt, i): User => {
    if (!elt?.name) throw new Error(`users[${i}].name is missing`);
    const u = elt.user as Raw;
    const field = <T>(key: string) => (u ? (u[key] as T) : (null as T));
    return {
      authProvider: field<unknown>('auth-provider'),
      certData: field('client-certificate-data'),
      certFile: field('client-certificate'),
      exec: field<unknown>('exec'),
      keyData: field('client-key-data'),
      keyFile: field('client-key'),
      name: elt.name as string,
      token: findToken(u, cwd),
      password: field('password'),
      username: field('username'),
      impersonateUser: field('as'),
    };
  });
  const contexts = rawList(obj.contexts).map((elt, i): Context => {
    if (!elt?.name) throw new Error(`contexts[${i}].name is missing`);
    const c = elt.context as Raw;
    if (!c) throw new Error(`contexts[${i}].context is missing`);
    if (!c.cluster) throw new Error(`contexts[${i}].context.cluster is missing`);
    return {
      cluster: c.cluster as string,
      name: elt.name as string,
      user: (c.user as string) || undefined,
      namespace: (c.namespace as string) || undefined,
    } as Context;
  });
  return { clusters, users, contexts, currentContext: obj['current-context'] as string | undefined };
}

function findToken(user: Raw, cwd: string): string | undefined {
  if (!user) return undefined;
  if (user.token) return user.token as string;
  const file = user['token-file'];
  if (file) return fs.readFileSync(path.resolve(cwd, file as string)).toString();
  return undefined;
}

function makePathsAbsolute(config: KubeconfigData, dir: string): void {
  const abs = (file: string) => (path.isAbsolute(file) ? file : path.join(dir, file));
  for (const c of config.clusters) if (c.caFile) c.caFile = abs(c.caFile);
  for (const u of config.users) {
    if (u.certFile) u.certFile = abs(u.certFile);
    if (u.keyFile) u.keyFile = abs(u.keyFile);
  }
}

/** client-node's `loadFromCluster`: the service account's CA, token file and namespace. */
function inClusterConfig(env: NodeJS.ProcessEnv, saDir: string): KubeconfigData {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  const scheme = port === '80' || port === '8080' || port === '8001' ? 'http' : 'https';
  const serverHost = host && net.isIPv6(host) ? `[${host}]` : host;
  const namespaceFile = path.join(saDir, 'namespace');
  const namespace = fs.existsSync(namespaceFile)
    ? fs.readFileSync(namespaceFile).toString('utf-8')
    : undefined;
  return {
    clusters: [
      {
        name: 'inCluster',
        caFile: path.join(saDir, 'ca.crt'),
        server: `${scheme}://${serverHost}:${port}`,
        skipTLSVerify: false,
      },
    ],
    users: [
      {
        name: 'inClusterUser',
        authProvider: { name: 'tokenFile', config: { tokenFile: path.join(saDir, 'token') } },
      },
    ],
    contexts: [{ cluster: 'inCluster', name: 'inClusterContext', user: 'inClusterUser', namespace }],
    currentContext: 'inClusterContext',
  };
}

/** Whether the current user or cluster needs client-node's machinery: exec, auth providers, a proxy. */
export function needsClientNode(loaded: Pick<LoadedKubeconfig, 'cluster' | 'user'>): boolean {
  const { cluster, user } = loaded;
  return Boolean(cluster.proxyUrl || user?.exec || (user?.authProvider && !tokenFileOf(user)));
}

/**
 * The token file of client-node's FileAuth (the in-cluster service account's): an auth provider
 * that none of client-node's earlier authenticators (azure, gcp, exec) claims, with a tokenFile.
 */
function tokenFileOf(user: User): string | undefined {
  const provider = user.authProvider as { name?: unknown; config?: Record<string, unknown> } | undefined;
  if (!provider || ['azure', 'gcp', 'exec'].includes(provider.name as string)) return undefined;
  if (provider.config?.exec) return undefined;
  // Anything but a path (client-node would pass a number on as a file descriptor) is left to it.
  const file = provider.config?.tokenFile;
  return typeof file === 'string' && file ? file : undefined;
}

/**
 * What `KubeConfig.applyToHTTPSOptions` puts into request options for the current context: TLS
 * material and flags, auth headers, basic auth and an agent. Static credentials are worked out
 * here; exec plugins, auth providers and proxies go to client-node, loaded only then.
 */
export async function httpsOptionsFor(loaded: LoadedKubeconfig): Promise<https.RequestOptions> {
  const opts: https.RequestOptions = {};
  if (needsClientNode(loaded)) {
    const { KubeConfig } = await import('@kubernetes/client-node');
    const kc = new KubeConfig();
    kc.loadFromOptions({ ...loaded.config, currentContext: loaded.contextName });
    await kc.applyToHTTPSOptions(opts);
    return opts;
  }
  const { cluster, user } = loaded;
  // client-node applies nothing from the cluster either when the context has no user.
  if (user) {
    if (cluster.skipTLSVerify) opts.rejectUnauthorized = false;
    if (cluster.tlsServerName) opts.servername = cluster.tlsServerName;
    const ca = fileOrData(cluster.caFile, cluster.caData);
    if (ca) opts.ca = ca;
    const cert = fileOrData(user.certFile, user.certData);
    if (cert) opts.cert = cert;
    const key = fileOrData(user.keyFile, user.keyData);
    if (key) opts.key = key;
    const headers: Record<string, string> = {};
    if (user.impersonateUser != null) headers['Impersonate-User'] = user.impersonateUser;
    const tokenFile = tokenFileOf(user);
    if (tokenFile) {
      const token = fs.readFileSync(tokenFile).toString('utf-8');
      if (token) headers.Authorization = `Bearer ${token}`;
    }
    if (user.token) headers.Authorization = `Bearer ${user.token}`;
    opts.headers = headers;
    if (user.username) opts.auth = `${user.username}:${user.password}`;
  }
  const agentOptions: https.AgentOptions = {
    ca: opts.ca,
    cert: opts.cert,
    key: opts.key,
    servername: opts.servername,
  };
  if (opts.rejectUnauthorized !== undefined) agentOptions.rejectUnauthorized = opts.rejectUnauthorized;
  if (cluster.server.startsWith('http:')) {
    if (!cluster.skipTLSVerify) {
      throw new Error('HTTP protocol is not allowed when skipTLSVerify is not set or false');
    }
    opts.agent = new http.Agent(agentOptions);
  } else {
    opts.agent = new https.Agent(agentOptions);
  }
  return opts;
}

function fileOrData(file: string | undefined, data: string | undefined): Buffer | null {
  if (file) return fs.readFileSync(file);
  if (data) return Buffer.from(data, 'base64');
  return null;
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
