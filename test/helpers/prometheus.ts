/**
 * For tests that need a real Prometheus (Debian's `prometheus`; `.ci/run` installs it). A test that
 * needs one and finds none FAILS with this message: it is never skipped, so CI cannot pass
 * without having run it.
 */
import { findPrometheus } from '../../src/sandbox/prometheus.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import { raw } from '../sandbox/helpers.js';

export function requirePrometheus(): string {
  const bin = findPrometheus(process.env);
  if (!bin)
    throw new Error(
      'this test needs a real Prometheus and none was found: install it (apt-get install -y --no-install-recommends prometheus, as .ci/run does) or set VELA_TS_PROMETHEUS_BIN to the binary',
    );
  return bin;
}

export interface PromAnswer {
  /** HTTP status of the proxied request. */
  status: number;
  contentType: string | undefined;
  body: any;
  text: string;
}

/** The service proxy path to the sandbox's Prometheus, as a workstation reaches it. */
export const PROMETHEUS_PROXY = '/api/v1/namespaces/istio-system/services/prometheus:9090/proxy';

/** A request to Prometheus' HTTP API through the sandbox's service proxy, with the sandbox's token. */
export async function viaProxy(
  sb: Pick<Sandbox, 'url' | 'caPem' | 'token'>,
  apiPath: string,
  opts: { method?: 'GET' | 'POST'; form?: Record<string, string>; proxyBase?: string } = {},
): Promise<PromAnswer> {
  const res = await raw(sb, opts.method ?? 'GET', `${opts.proxyBase ?? PROMETHEUS_PROXY}${apiPath}`, {
    ...(opts.form
      ? { body: new URLSearchParams(opts.form).toString(), contentType: 'application/x-www-form-urlencoded' }
      : {}),
  });
  const type = res.headers['content-type'];
  return {
    status: res.status,
    contentType: Array.isArray(type) ? type[0] : type,
    body: res.body as unknown,
    text: res.text,
  };
}

/**
 * Runs an instant PromQL query through the proxy until it returns a sample that satisfies `pred`
 * (Prometheus scrapes every second; data appears as it does), or fails at the deadline with the
 * last answer. Asking again is the only signal Prometheus offers that new data is in.
 */
export async function queryUntil(
  sb: Pick<Sandbox, 'url' | 'caPem' | 'token'>,
  query: string,
  pred: (value: number) => boolean,
  deadlineMs = 60_000,
): Promise<number> {
  const until = Date.now() + deadlineMs;
  let last = '';
  for (;;) {
    const r = await viaProxy(sb, `/api/v1/query?query=${encodeURIComponent(query)}`);
    last = `${r.status} ${r.text}`;
    const result = r.body?.data?.result as { value: [number, string] }[] | undefined;
    if (r.status === 200 && result?.length === 1) {
      const v = Number(result[0]!.value[1]);
      if (pred(v)) return v;
    }
    if (Date.now() > until)
      throw new Error(`no answer to ${query} as wanted within ${deadlineMs} ms; last: ${last}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
