// One run: its job tree on the left (lazy, live), the selected node on the right.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { getJson, openStream, type Job, type MessagesReply } from './api';
import { jobDuration, progressOf, verdictOf } from './format';
import type { MessageFilters, TailRequest } from './messages';
import { NodeDetail } from './detail';
import { navigate } from './router';
import { Tree, isTier, type ChildFilter, type ChildSort, type Row } from './tree';
import { VirtualList } from './virtual';
import { ErrorBanner, Icon, ProgressBar, useDebounced, useNow } from './widgets';

const FILTERS: { only: ChildFilter; label: string }[] = [
  { only: 'all', label: 'All' },
  { only: 'failed', label: 'Failed' },
  { only: 'running', label: 'Running' },
];

/** Orders of a tier's children (sorted by the hub before paging); `desc` puts the longest first. */
const SORTS: { value: string; sort: ChildSort; desc: boolean; label: string }[] = [
  { value: 'tree', sort: 'tree', desc: false, label: 'Tree order' },
  { value: 'name', sort: 'name', desc: false, label: 'Name' },
  { value: 'duration', sort: 'duration', desc: true, label: 'Longest first' },
  { value: 'result', sort: 'result', desc: false, label: 'Failures first' },
];

function FindBox({ uid, rootKey }: { uid: number; rootKey: string | undefined }) {
  const [text, setText] = useState('');
  const q = useDebounced(text.trim(), 300);
  const [matches, setMatches] = useState<{ path: string[]; job: Job }[] | undefined>();
  useEffect(() => {
    if (!q) {
      setMatches(undefined);
      return;
    }
    let cancelled = false;
    getJson<{ matches: { path: string[]; job: Job }[] }>(`/api/job/${uid}/find?q=${encodeURIComponent(q)}&limit=50`)
      .then((r) => !cancelled && setMatches(r.matches))
      .catch(() => !cancelled && setMatches([]));
    return () => {
      cancelled = true;
    };
  }, [q, uid]);
  return (
    <div class="find">
      <input type="search" class="search" placeholder="Find a job by name" value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} data-testid="tree-find" />
      {matches && rootKey ? (
        <div class="find-results">
          {matches.length === 0 ? <div class="muted">No job matches.</div> : null}
          {matches.map((m) => {
            const href = `/runs/${rootKey}/${m.path.map(encodeURIComponent).join('/')}`;
            return (
              <a
                href={href}
                onClick={(e) => {
                  e.preventDefault();
                  setText('');
                  navigate(href);
                }}
              >
                <Icon verdict={verdictOf(m.job)} /> {m.path.join(' / ')}
              </a>
            );
          })}
        </div>
      ) : null}
    </div>
  );
}

export function RunPage({ routeKey, query, onConnection }: { routeKey: string; query: URLSearchParams; onConnection: (c: boolean) => void }) {
  const uid = Number(routeKey.split('/')[0]);
  const tree = useMemo(() => new Tree(uid), [uid]);
  const [, setVersion] = useState(0);
  const [error, setError] = useState<{ message: string; hint?: string }>();
  const [filters, setFilters] = useState<MessageFilters>({ severity: Number(query.get('severity') ?? 10) || 10, grep: query.get('grep') ?? '' });
  const [tail, setTail] = useState<TailRequest | undefined>();
  const [pushed, setPushed] = useState<MessagesReply | undefined>();
  const tailRef = useRef<TailRequest | undefined>();
  tailRef.current = tail;

  useEffect(() => tree.subscribe(() => setVersion((v) => v + 1)), [tree]);

  // Open (and reveal) the linked node; a bare /runs/<uid> link is completed with the root's ident.
  useEffect(() => {
    let cancelled = false;
    (async () => {
      try {
        if (!tree.rootKey) await tree.loadRoot();
        if (cancelled) return;
        if (!routeKey.includes('/') || tree.normalise(routeKey) !== routeKey) {
          navigate(`/runs/${tree.normalise(routeKey)}${location.search}`, true);
          return;
        }
        await tree.reveal(routeKey);
        setError(undefined);
      } catch (e) {
        if (!cancelled) setError(e as Error);
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [tree, routeKey]);

  const selected = routeKey.includes('/') ? routeKey : tree.rootKey;
  const root = tree.rootKey ? tree.nodes.get(tree.rootKey) : undefined;
  const runLive = root !== undefined && root.job.status !== 3;

  // Message filters live in the address, so a link shows the same view.
  useEffect(() => {
    const p = new URLSearchParams();
    if (filters.severity > 10) p.set('severity', String(filters.severity));
    if (filters.grep) p.set('grep', filters.grep);
    const search = p.toString();
    if (search !== location.search.replace(/^\?/, '')) history.replaceState(null, '', `${location.pathname}${search ? `?${search}` : ''}`);
  }, [filters, routeKey]);

  // One event stream for what is on screen: open live tiers, the selection, and the message tail.
  const watch = runLive ? tree.watchKeys(selected) : [];
  const streamParams = new URLSearchParams();
  for (const key of watch) streamParams.append('watch', key);
  if (tail && runLive) {
    streamParams.set('tail', tail.key);
    streamParams.set('after', String(tail.after));
    if (tail.severity > 10) streamParams.set('severity', String(tail.severity));
    if (tail.grep) streamParams.set('grep', tail.grep);
  }
  // `after` moves with every pushed message: it must not reopen the stream.
  const streamId = useDebounced([...watch, tail?.key ?? '', tail?.severity ?? '', tail?.grep ?? '', runLive].join('|'), 250);
  const paramsRef = useRef(streamParams);
  paramsRef.current = streamParams;
  useEffect(() => {
    if (!runLive) return;
    const params = paramsRef.current;
    const t = tailRef.current;
    if (t && params.has('tail')) params.set('after', String(t.after));
    return openStream(
      params,
      (e) => {
        if (e.event === 'node') tree.applyUpdate(e.data.key, e.data.job, e.data.partial);
        else if (e.event === 'messages') {
          const current = tailRef.current;
          if (current && e.data.key === current.key) {
            current.after = Math.max(current.after, e.data.next_after);
            setPushed(e.data);
          }
        }
      },
      onConnection,
    );
  }, [streamId]);

  const rows = tree.rows();
  const selectedIndex = rows.findIndex((r) => r.kind === 'node' && r.key === selected);
  const now = useNow(runLive);
  const selectedNode = selected ? tree.nodes.get(selected) : undefined;

  const renderRow = (row: Row) => {
    if (row.kind === 'more') {
      return (
        <div class="trow more" style={{ paddingLeft: `${row.depth * 16 + 24}px` }} onClick={() => void tree.loadChildren(row.key, true)} data-testid="tree-more">
          … load {Math.min(row.remaining, 200)} more of {row.remaining}
        </div>
      );
    }
    const node = tree.nodes.get(row.key);
    if (!node) return null;
    const job = node.job;
    const tier = isTier(job);
    const p = progressOf(job.jobs, job.metrics);
    const href = `/runs/${row.key}${location.search}`;
    return (
      <div
        class={`trow ${row.key === selected ? 'sel' : ''}`}
        style={{ paddingLeft: `${row.depth * 16 + 4}px` }}
        data-testid="tree-row"
        data-key={row.key}
        data-ident={job.ident}
        data-verdict={verdictOf(job)}
        onClick={() => {
          navigate(href);
          // Selecting a closed tier opens it too: what one wants to see next is inside.
          if (tier && !node.expanded) void tree.toggle(row.key);
        }}
      >
        <span
          class="twisty"
          onClick={(e) => {
            if (!tier) return;
            e.stopPropagation();
            void tree.toggle(row.key);
          }}
        >
          {tier ? (node.loading ? '◌' : node.expanded ? '▾' : '▸') : ''}
        </span>
        <Icon verdict={verdictOf(job)} />
        <span class="tname">{job.ident}</span>
        {tier ? <ProgressBar progress={p} /> : null}
        {tier && p ? (
          <span class="tcount">
            {p.passed + p.failed + p.lost + p.skipped + p.stopped}/{p.total}
          </span>
        ) : null}
        <span class="tdur">{jobDuration(job, now, runLive && job.status !== 3)}</span>
        {node.error ? <span class="fail-text" title={node.error}>!</span> : null}
      </div>
    );
  };

  return (
    <div class="page run-page">
      <aside class="tree-pane">
        <div class="toolbar">
          <div class="chips" role="group" aria-label="Show jobs">
            {FILTERS.map((f) => (
              <button type="button" class={`chip ${tree.only === f.only ? 'on' : ''}`} onClick={() => tree.setFilter(f.only)} data-testid={`tree-${f.only}`}>
                {f.label}
              </button>
            ))}
          </div>
          <select
            class="tree-sort"
            aria-label="Sort jobs"
            data-testid="tree-sort"
            value={SORTS.find((o) => o.sort === tree.sort)?.value ?? 'tree'}
            onChange={(e) => {
              const o = SORTS.find((x) => x.value === (e.target as HTMLSelectElement).value) ?? SORTS[0];
              tree.setSort(o.sort, o.desc);
            }}
          >
            {SORTS.map((o) => (
              <option value={o.value}>{o.label}</option>
            ))}
          </select>
          {runLive ? <span class="live-dot" title="This run is live">● live</span> : null}
        </div>
        <FindBox uid={uid} rootKey={tree.rootKey} />
        <ErrorBanner error={error} />
        <VirtualList items={rows} rowHeight={26} rowKey={(r) => `${r.kind}:${r.key}`} renderRow={renderRow} scrollToIndex={selectedIndex} className="tree" testId="tree" />
      </aside>
      <section class="detail-pane">
        {selected ? (
          <NodeDetail
            nodeKey={selected}
            job={selectedNode?.job}
            runLive={runLive}
            filters={filters}
            onFilters={setFilters}
            onTail={setTail}
            pushed={pushed}
          />
        ) : null}
      </section>
    </div>
  );
}
