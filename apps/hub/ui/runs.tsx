// The start page: every registered run, live and finished, filterable and searchable,
// updated as heartbeats arrive.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { getJson, openStream, nodeKey, type RunJob } from './api';
import { dateTime, duration, progressOf, verdictOf } from './format';
import { SpecPassRatePanel } from './pass-rate';
import { navigate } from './router';
import { Badge, ErrorBanner, ProgressBar, useDebounced, useNow } from './widgets';

const PAGE = 200;
const STATES = ['all', 'live', 'finished', 'failed', 'passed'] as const;

export function RunsPage({ query, onConnection }: { query: URLSearchParams; onConnection: (c: boolean) => void }) {
  const [search, setSearch] = useState(query.get('q') ?? '');
  const [state, setState] = useState<(typeof STATES)[number]>((query.get('state') as (typeof STATES)[number]) ?? 'all');
  const q = useDebounced(search, 250);
  const [runs, setRuns] = useState<RunJob[]>([]);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<{ message: string; hint?: string }>();
  const [loading, setLoading] = useState(true);
  const refetch = useRef<() => void>(() => undefined);

  const filterParams = useCallback(() => {
    const p = new URLSearchParams({ limit: String(PAGE) });
    if (q.trim()) p.set('q', q.trim());
    if (state !== 'all') p.set('state', state);
    return p;
  }, [q, state]);

  const load = useCallback(async () => {
    try {
      const reply = await getJson<{ children: RunJob[]; total: number }>(`/api/jobs?${filterParams()}`);
      setRuns(reply.children);
      setTotal(reply.total);
      setError(undefined);
    } catch (e) {
      setError(e as Error);
    } finally {
      setLoading(false);
    }
  }, [filterParams]);
  refetch.current = load;

  useEffect(() => {
    void load();
    const url = new URLSearchParams();
    if (q.trim()) url.set('q', q.trim());
    if (state !== 'all') url.set('state', state);
    const text = url.toString();
    history.replaceState(null, '', text ? `/?${text}` : '/');
  }, [load]);

  // Heartbeats update rows in place; a run not shown yet (new, or newly matching) reloads the page.
  useEffect(() => {
    let pending: ReturnType<typeof setTimeout> | undefined;
    const close = openStream(
      new URLSearchParams({ runs: '1' }),
      (e) => {
        if (e.event !== 'run') return;
        const job = e.data.job;
        setRuns((list) => {
          const i = list.findIndex((r) => r.uidx === job.uidx);
          if (i < 0) {
            clearTimeout(pending);
            pending = setTimeout(() => refetch.current(), 300);
            return list;
          }
          const next = list.slice();
          next[i] = job;
          return next;
        });
      },
      onConnection,
    );
    return () => {
      clearTimeout(pending);
      close();
    };
  }, []);

  const loadOlder = async () => {
    const oldest = runs[runs.length - 1];
    if (!oldest) return;
    const p = filterParams();
    p.set('before', String(oldest.uidx));
    try {
      const reply = await getJson<{ children: RunJob[] }>(`/api/jobs?${p}`);
      setRuns((list) => [...list, ...reply.children.filter((r) => !list.some((x) => x.uidx === r.uidx))]);
    } catch (e) {
      setError(e as Error);
    }
  };

  const now = useNow(runs.some((r) => r.live));
  return (
    <div class="page runs-page">
      <div class="toolbar">
        <input
          type="search"
          class="search"
          placeholder="Search runs: name, owner or #uid"
          value={search}
          onInput={(e) => setSearch((e.target as HTMLInputElement).value)}
          data-testid="run-search"
        />
        <div class="chips" role="group" aria-label="Show runs">
          {STATES.map((s) => (
            <button type="button" class={`chip ${state === s ? 'on' : ''}`} onClick={() => setState(s)} data-testid={`state-${s}`}>
              {s}
            </button>
          ))}
        </div>
        <span class="muted">
          {runs.length < total ? `${runs.length} of ${total}` : total} run{total === 1 ? '' : 's'}
        </span>
      </div>
      <ErrorBanner error={error} />
      <SpecPassRatePanel runs={runs} />
      <table class="runs" data-testid="runs-table">
        <thead>
          <tr>
            <th class="num">#</th>
            <th>Run</th>
            <th>Owner</th>
            <th>Started</th>
            <th>Duration</th>
            <th>Progress</th>
            <th class="num" title="passed">Pass</th>
            <th class="num" title="failed">Fail</th>
            <th class="num" title="running">Run</th>
            <th>Result</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((run) => {
            const p = progressOf(run.summary.jobs, run.metrics);
            const end = run.stopped ?? (run.live ? now : run.heartbeat);
            const href = `/runs/${nodeKey(run.uidx, run.ident, [])}`;
            return (
              <tr
                key={run.uidx}
                class={`run-row ${run.live ? 'live' : ''}`}
                data-testid="run-row"
                data-uid={run.uidx}
                onClick={(e) => {
                  if ((e.target as HTMLElement).closest('a')) return;
                  navigate(href);
                }}
              >
                <td class="num muted">{run.uidx}</td>
                <td>
                  <a href={href} onClick={(e) => (e.preventDefault(), navigate(href))} class="run-name">
                    {run.ident}
                  </a>
                  {run.summary.buckets && run.summary.buckets.length > 0 ? (
                    <div class="sub muted" title="most common failure">
                      {run.summary.buckets[0].count}× {run.summary.buckets[0].signature}
                    </div>
                  ) : null}
                </td>
                <td>{run.owner ?? ''}</td>
                <td>{dateTime(run.started)}</td>
                <td>{end && run.started ? duration(end - run.started) : ''}</td>
                <td>
                  <ProgressBar progress={p} />
                </td>
                <td class="num pass-text" data-testid="run-pass">{p?.passed ?? ''}</td>
                <td class="num fail-text" data-testid="run-fail">{p ? p.failed + p.lost : ''}</td>
                <td class="num">{p?.running ?? ''}</td>
                <td>
                  <Badge verdict={verdictOf(run)} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {!loading && runs.length === 0 ? (
        <p class="empty-note">
          No runs{q || state !== 'all' ? ' match' : ' yet'}. Start one with <code>gator run --hub {location.host} spec.yaml</code>.
        </p>
      ) : null}
      {runs.length < total ? (
        <button type="button" class="more" onClick={loadOlder}>
          Load older runs
        </button>
      ) : null}
    </div>
  );
}
