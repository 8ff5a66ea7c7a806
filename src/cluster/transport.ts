/**
 * Plain HTTPS to the API server. The kubeconfig becomes an agent (CA, client certificate) and auth
 * headers (token, exec, auth-provider) in kubeconfig.ts; the requests themselves are raw so that
 * every field of every object, CRDs included, passes through untouched.
 */
import http from 'node:http';
import https from 'node:https';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpRequest {
  method: Method;
  /** Path and query, relative to the server URL (`/api/v1/namespaces?limit=1`). */
  path: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  /** Idle timeout for the socket; the request fails with ETIMEDOUT after this long without data. */
  timeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A request that never got an HTTP answer (refused, reset, timed out, TLS failure, aborted). */
export class TransportError extends Error {
  override name = 'TransportError';
  /** `ECONNREFUSED`, `ECONNRESET`, `ETIMEDOUT`, `ENOTFOUND`, a TLS code, or `ABORTED`. */
  readonly code: string;
  /** True when the stream broke after the server had answered (a cut watch). */
  readonly afterResponse: boolean;
  constructor(code: string, message: string, afterResponse = false) {
    super(message);
    this.code = code;
    this.afterResponse = afterResponse;
  }
}

export interface Transport {
  /** The server URL, for messages. */
  readonly server: string;
  /** Whether any request has ever been answered: a refused connection after that is a restart. */
  readonly everConnected: boolean;
  request(req: HttpRequest): Promise<HttpResponse>;
  /**
   * A streaming GET (watch): `onLine` gets each complete line while the response is 200. Resolves
   * when the server ends the stream; a non-200 answer resolves with its body.
   */
  stream(req: HttpRequest, onLine: (line: string) => void): Promise<HttpResponse>;
  close(): void;
}

export interface HttpsTransportOptions {
  server: string;
  agent: http.Agent;
  /** Headers that carry credentials. */
  authHeaders: Record<string, string>;
  /**
   * Fetches fresh credentials (exec plugins, auth providers). Like client-go, a 401 triggers one
   * refresh and one resend; otherwise the credentials are reused, so a plugin runs once per command.
   */
  refreshAuth?: () => Promise<Record<string, string>>;
  userAgent: string;
  defaultTimeoutMs?: number;
  servername?: string;
}

export class HttpsTransport implements Transport {
  readonly server: string;
  everConnected = false;
  private readonly base: URL;
  private readonly opts: HttpsTransportOptions;
  private auth: Record<string, string>;
  private refreshing: Promise<void> | undefined;

  constructor(opts: HttpsTransportOptions) {
    this.opts = opts;
    this.auth = opts.authHeaders;
    this.server = opts.server.replace(/\/+$/, '');
    this.base = new URL(this.server);
  }

  request(req: HttpRequest): Promise<HttpResponse> {
    return this.sendWithRefresh(req, undefined);
  }

  stream(req: HttpRequest, onLine: (line: string) => void): Promise<HttpResponse> {
    return this.sendWithRefresh(req, onLine);
  }

  private async sendWithRefresh(
    req: HttpRequest,
    onLine: ((line: string) => void) | undefined,
  ): Promise<HttpResponse> {
    const used = this.auth;
    const res = await this.send(req, onLine);
    if (res.status !== 401 || !this.opts.refreshAuth) return res;
    // Several requests may meet the same expired token: refresh once for all of them.
    if (this.auth === used) {
      const refresh = this.opts.refreshAuth;
      this.refreshing ??= refresh()
        .then((fresh) => {
          this.auth = fresh;
        })
        .finally(() => {
          this.refreshing = undefined;
        });
      await this.refreshing;
    }
    return this.send(req, onLine);
  }

  close(): void {
    this.opts.agent.destroy();
  }

  private async send(req: HttpRequest, onLine: ((line: string) => void) | undefined): Promise<HttpResponse> {
    if (req.signal?.aborted) throw new TransportError('ABORTED', 'the request was cancelled');
    const auth = this.auth;
    const basePath = this.base.pathname.replace(/\/+$/, '');
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'User-Agent': this.opts.userAgent,
      ...auth,
      ...req.headers,
    };
    if (req.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(req.body));
    const isHttps = this.base.protocol === 'https:';
    const options: https.RequestOptions = {
      method: req.method,
      protocol: this.base.protocol,
      hostname: this.base.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: this.base.port || (isHttps ? 443 : 80),
      path: basePath + req.path,
      headers,
      agent: this.opts.agent,
    };
    if (this.opts.servername) options.servername = this.opts.servername;

    return new Promise<HttpResponse>((resolve, reject) => {
      let settled = false;
      let answered = false;
      const fail = (err: TransportError) => {
        if (settled) return;
        settled = true;
        cleanup();
        reject(err);
      };
      const succeed = (res: HttpResponse) => {
        if (settled) return;
        settled = true;
        cleanup();
        resolve(res);
      };
      const r = (isHttps ? https : http).request(options);
      const onAbort = () => {
        r.destroy();
        fail(new TransportError('ABORTED', 'the request was cancelled', answered));
      };
      const cleanup = () => req.signal?.removeEventListener('abort', onAbort);
      req.signal?.addEventListener('abort', onAbort, { once: true });

      r.setTimeout(req.timeoutMs ?? this.opts.defaultTimeoutMs ?? 30_000, () => {
        r.destroy();
        fail(new TransportError('ETIMEDOUT', 'timed out', answered));
      });
      r.on('error', (err: NodeJS.ErrnoException) => {
        fail(new TransportError(err.code ?? 'EUNKNOWN', plainNetworkMessage(err), answered));
      });
      r.on('response', (res) => {
        answered = true;
        this.everConnected = true;
        const status = res.statusCode ?? 0;
        const streaming = onLine !== undefined && status === 200;
        const chunks: Buffer[] = [];
        let pending = '';
        res.on('data', (chunk: Buffer) => {
          if (!streaming) {
            chunks.push(chunk);
            return;
          }
          pending += chunk.toString('utf8');
          let nl: number;
          while ((nl = pending.indexOf('\n')) >= 0) {
            const line = pending.slice(0, nl).trim();
            pending = pending.slice(nl + 1);
            if (line && !settled) onLine(line);
          }
        });
        res.on('end', () => {
          if (streaming) {
            const last = pending.trim();
            if (last && !settled) onLine(last);
          }
          succeed({
            status,
            headers: res.headers,
            body: streaming ? '' : Buffer.concat(chunks).toString('utf8'),
          });
        });
        res.on('error', (err: NodeJS.ErrnoException) => {
          fail(new TransportError(err.code ?? 'ECONNRESET', plainNetworkMessage(err), true));
        });
        res.on('aborted', () => fail(new TransportError('ECONNRESET', 'connection reset', true)));
        res.on('close', () => {
          if (!res.complete) fail(new TransportError('ECONNRESET', 'connection reset', true));
        });
      });
      r.end(req.body);
    });
  }
}

/** Node's network error, in words without addresses or internals. */
function plainNetworkMessage(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'connection reset';
    case 'ETIMEDOUT':
      return 'timed out';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'CERT_UNTRUSTED':
      return "the server's certificate is not signed by the kubeconfig's certificate authority";
    case 'CERT_HAS_EXPIRED':
      return "the server's certificate has expired";
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return "the server's certificate does not match its address";
    default:
      return err.code ? `${err.code}` : 'network error';
  }
}
