import type { ServerResponse } from 'node:http';
import type { Api, Target } from './api.js';
import { badRequest } from './errors.js';
import { resourceKey, storageKey } from './registry.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import type { StoreEvent } from './store.js';
import { includeObjectOption, toTable, type TableVersion } from './table.js';
import { truthy, type Clock, type KObject, type Obj } from './util.js';

export interface WatchOptions {
  api: Api;
  clock: Clock;
  failRate: number;
  random: () => number;
}

interface OpenWatch {
  end(): void;
}

/**
 * Watch streams: one per `?watch=1` list request, fed from the store's events (or its bounded
 * history when resuming from a resourceVersion), ended by timeoutSeconds, by close(), or at random
 * under --fail-rate so clients rehearse re-watching.
 */
export class Watches {
  private readonly open = new Set<OpenWatch>();
  private cutTimer?: unknown;

  constructor(private readonly o: WatchOptions) {
    if (o.failRate > 0) this.scheduleCuts();
  }

  /** Ends every open watch stream cleanly (clients see the stream close and re-watch). */
  closeAll(): void {
    for (const w of [...this.open]) w.end();
    if (this.cutTimer !== undefined) this.o.clock.clearTimeout(this.cutTimer);
    this.cutTimer = undefined;
  }

  private scheduleCuts(): void {
    // --fail-rate also cuts open watches: each second, each watch is cut with that probability.
    this.cutTimer = this.o.clock.setTimeout(() => {
      for (const w of [...this.open]) if (this.o.random() < this.o.failRate) w.end();
      this.scheduleCuts();
    }, 1000);
  }

  /**
   * A watch stream. With a Table Accept (`kubectl get -w`) each event's object is a one-row Table;
   * only the first carries column definitions, as the apiserver's watch encoder sends them.
   * BOOKMARK and ERROR events keep their plain form (kubectl get -w asks for no bookmarks).
   */
  serve(t: Target, res: ServerResponse, audit: (code: number) => void, table?: TableVersion): void {
    const api = this.o.api;
    const include = table ? includeObjectOption(t.query) : 'Metadata';
    const labels = parseLabelSelector(t.query.get('labelSelector') ?? undefined);
    const fields = parseFieldSelector(t.query.get('fieldSelector') ?? undefined, resourceKey(t.rt));
    const matches = (o: KObject | undefined) =>
      !!o &&
      (!t.rt.namespaced || t.namespace === undefined || o.metadata.namespace === t.namespace) &&
      labels(o.metadata.labels) &&
      fields(o);
    const bookmarks = truthy(t.query.get('allowWatchBookmarks'));
    const key = storageKey(t.rt);
    const rvParam = t.query.get('resourceVersion') ?? '';
    const sendInitial = t.query.get('sendInitialEvents') === 'true';

    let backlog: StoreEvent[] | undefined;
    if (rvParam !== '' && rvParam !== '0' && !sendInitial) {
      const n = Number(rvParam);
      if (!Number.isFinite(n)) throw badRequest(`invalid resource version: ${rvParam}`);
      backlog = api.store.since(key, n);
    }

    audit(200);
    // JSON watch streams are plain application/json, one event per line (no ;stream=watch suffix).
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-cache, private',
      'Transfer-Encoding': 'chunked',
    });
    // Headers go out at once, as the apiserver flushes them: a client may wait for them before any event.
    res.flushHeaders();
    const write = (type: string, object: Obj) => res.write(`${JSON.stringify({ type, object })}\n`);
    let headersSent = false;
    const show = (o: KObject): Obj => {
      const shown = api.present(t.rt, o, t.version);
      if (!table) return shown;
      const out = toTable({
        rt: t.rt,
        version: t.version,
        table,
        items: [shown],
        listMeta: { resourceVersion: shown.metadata.resourceVersion },
        include,
        now: this.o.clock.now(),
        noHeaders: headersSent,
      });
      headersSent = true;
      return out;
    };
    const bookmark = (extra: Obj = {}) =>
      write('BOOKMARK', {
        kind: t.rt.kind,
        apiVersion: `${t.rt.group ? `${t.rt.group}/` : ''}${t.version}`,
        metadata: { resourceVersion: String(api.store.resourceVersion), creationTimestamp: null, ...extra },
      });

    if (rvParam !== '' && rvParam !== '0' && !sendInitial && !backlog) {
      write('ERROR', {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: `too old resource version: ${rvParam} (${api.store.oldestWatchableRv + 1})`,
        reason: 'Expired',
        code: 410,
      });
      res.end();
      return;
    }

    const deliver = (ev: StoreEvent) => {
      if (ev.resource !== key) return;
      const now = matches(ev.object);
      const before = matches(ev.old);
      if (ev.type === 'ADDED' && now) write('ADDED', show(ev.object));
      else if (ev.type === 'DELETED' && (before || now)) write('DELETED', show(ev.object));
      else if (ev.type === 'MODIFIED') {
        // With selectors, an object entering the selection is ADDED and one leaving it DELETED.
        if (now && before) write('MODIFIED', show(ev.object));
        else if (now) write('ADDED', show(ev.object));
        else if (before) write('DELETED', show(ev.object));
      }
    };

    if (backlog) for (const ev of backlog) deliver(ev);
    else {
      for (const o of api.store.list(t.rt, t.rt.namespaced ? t.namespace : undefined))
        if (matches(o)) write('ADDED', show(o));
      if (sendInitial && bookmarks) bookmark({ annotations: { 'k8s.io/initial-events-end': 'true' } });
    }
    const unsubscribe = api.store.subscribe(deliver);

    let timer: unknown;
    const w: OpenWatch = {
      end: () => {
        if (!this.open.delete(w)) return;
        unsubscribe();
        if (timer !== undefined) this.o.clock.clearTimeout(timer);
        res.end();
      },
    };
    this.open.add(w);
    res.once('close', () => w.end());
    const timeout = Number(t.query.get('timeoutSeconds') ?? 0);
    // Without timeoutSeconds the apiserver picks 30-60 minutes; the sandbox keeps it open until close().
    if (timeout > 0) {
      timer = this.o.clock.setTimeout(() => {
        if (bookmarks) bookmark();
        w.end();
      }, timeout * 1000);
    }
  }
}
