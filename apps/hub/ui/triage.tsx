// Triage of a run or a subtree: its failed jobs with their reasons (all of them, or
// every member of one failure bucket), and a search of every job's messages below it.
import { useEffect, useRef, useState } from 'preact/hooks';
import { apiPath, getJson, type Bucket, type FailedJob, type SearchMatch, type SearchReply } from './api';
import { SEVERITIES, clock, duration, severityName } from './format';
import { navigate } from './router';
import { ErrorBanner, useDebounced } from './widgets';

const FAILED_PAGE = 200;
const SEARCH_PAGE = 200;
/** Empty pages a search follows by itself before it asks to go on. */
const AUTO_PAGES = 20;

/** `/runs/<uid>/<root>/<path…>` of a path below the root (the node key's first two parts are the run). */
function hrefBelowRoot(nodeKey: string, path: string[], search = ''): string {
  return `/runs/${[...nodeKey.split('/').slice(0, 2), ...path.map(encodeURIComponent)].join('/')}${search}`;
}

function go(e: Event, href: string): void {
  e.preventDefault();
  navigate(href);
}

export function FailedJobs({ nodeKey, buckets }: { nodeKey: string; buckets: Bucket[] }) {
  const [signature, setSignature] = useState<string | undefined>();
  const [jobs, setJobs] = useState<FailedJob[]>([]);
  const [total, setTotal] = useState<number | undefined>();
  const [error, setError] = useState<{ message: string; hint?: string }>();
  const generation = useRef(0);

  async function load(offset: number): Promise<void> {
    const gen = generation.current;
    const params = new URLSearchParams({ offset: String(offset), limit: String(FAILED_PAGE) });
    if (signature !== undefined) params.set('signature', signature);
    try {
      const reply = await getJson<{ jobs: FailedJob[]; total: number }>(`${apiPath('failed', nodeKey)}?${params}`);
      if (gen !== generation.current) return;
      setJobs((j) => (offset === 0 ? reply.jobs : [...j, ...reply.jobs]));
      setTotal(reply.total);
      setError(undefined);
    } catch (e) {
      if (gen === generation.current) setError(e as Error);
    }
  }

  useEffect(() => {
    generation.current++;
    setJobs([]);
    setTotal(undefined);
    void load(0);
  }, [nodeKey, signature]);
  useEffect(() => setSignature(undefined), [nodeKey]);

  // Failure paths start with the root's ident.
  const below = (p: string[]) => p.slice(1);
  return (
    <div class="triage">
      {buckets.length > 0 ? (
        <>
          <h3>Failure buckets</h3>
          <table class="kv">
            <thead>
              <tr>
                <th class="num">Jobs</th>
                <th>Signature</th>
                <th>Examples</th>
              </tr>
            </thead>
            <tbody>
              {buckets.map((b) => (
                <tr class={signature === b.signature ? 'sel' : ''}>
                  <td class="num">
                    <button type="button" class="small" title="List every job of this bucket" onClick={() => setSignature(signature === b.signature ? undefined : b.signature)} data-testid="bucket-open">
                      {b.count}
                    </button>
                  </td>
                  <td class="mono">{b.signature}</td>
                  <td>
                    {b.examples.map((p) => (
                      <a class="ex" href={hrefBelowRoot(nodeKey, below(p))} onClick={(e) => go(e, hrefBelowRoot(nodeKey, below(p)))}>
                        {p.join('.')}
                      </a>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
      <h3>
        {signature !== undefined ? (
          <>
            Jobs of bucket <span class="mono">{signature}</span>{' '}
            <button type="button" class="small" onClick={() => setSignature(undefined)} data-testid="bucket-all">
              All failed jobs
            </button>
          </>
        ) : (
          'Failed jobs'
        )}
        {total !== undefined ? <span class="muted"> ({total})</span> : null}
      </h3>
      <ErrorBanner error={error} />
      {total === 0 ? <p class="muted">No job failed here.</p> : null}
      {jobs.length > 0 ? (
        <table class="kv failed-jobs">
          <thead>
            <tr>
              <th>Job</th>
              <th>Why</th>
              <th class="num">Took</th>
            </tr>
          </thead>
          <tbody>
            {jobs.map((j) => {
              const href = hrefBelowRoot(nodeKey, below(j.path));
              return (
                <tr data-testid="failed-job">
                  <td>
                    <a href={href} onClick={(e) => go(e, href)}>
                      {j.path.join('.')}
                    </a>
                  </td>
                  <td>
                    <span class={j.outcome === 'lost' ? 'fail-text' : ''}>{j.outcome === 'lost' ? 'lost: ' : ''}</span>
                    {j.reason}
                    {j.error && j.error !== j.reason ? <div class="err-line">{j.error}</div> : null}
                  </td>
                  <td class="num">{j.duration !== null ? duration(j.duration) : ''}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : null}
      {total !== undefined && jobs.length < total ? (
        <button type="button" class="small" onClick={() => void load(jobs.length)} data-testid="failed-more">
          Show {Math.min(FAILED_PAGE, total - jobs.length)} more of {total - jobs.length}
        </button>
      ) : null}
    </div>
  );
}

export function RunSearch({ nodeKey, initial }: { nodeKey: string; initial?: string }) {
  const [text, setText] = useState(initial ?? '');
  const q = useDebounced(text.trim(), 300);
  const [severity, setSeverity] = useState(10);
  const [matches, setMatches] = useState<SearchMatch[]>([]);
  const [reply, setReply] = useState<SearchReply | undefined>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ message: string; hint?: string }>();
  const generation = useRef(0);
  const active = q !== '' || severity > 10;

  async function load(cursor: string | null): Promise<void> {
    const gen = generation.current;
    const params = new URLSearchParams({ q, limit: String(SEARCH_PAGE) });
    if (severity > 10) params.set('severity', String(severity));
    if (cursor) params.set('cursor', cursor);
    setBusy(true);
    try {
      let r = await getJson<SearchReply>(`${apiPath('search', nodeKey)}?${params}`);
      // A rare text in a big run: a page may read its share of layers and find nothing; go on a while by itself.
      let found = r.matches;
      for (let round = 0; found.length === 0 && r.next_cursor && round < AUTO_PAGES; round++) {
        if (gen !== generation.current) return;
        params.set('cursor', r.next_cursor);
        r = await getJson<SearchReply>(`${apiPath('search', nodeKey)}?${params}`);
        found = r.matches;
      }
      if (gen !== generation.current) return;
      setMatches((m) => (cursor ? [...m, ...found] : found));
      setReply(r);
      setError(undefined);
    } catch (e) {
      if (gen === generation.current) setError(e as Error);
    } finally {
      if (gen === generation.current) setBusy(false);
    }
  }

  useEffect(() => {
    generation.current++;
    setMatches([]);
    setReply(undefined);
    setBusy(false);
    if (active) void load(null);
  }, [nodeKey, q, severity]);

  return (
    <div class="triage run-search">
      <div class="toolbar">
        <select value={String(severity)} onChange={(e) => setSeverity(Number((e.target as HTMLSelectElement).value))} data-testid="run-search-severity" aria-label="Minimum severity">
          {SEVERITIES.map((s) => (
            <option value={String(s.level)}>{s.level === 10 ? 'All severities' : `${s.name} and above`}</option>
          ))}
        </select>
        <input
          type="search"
          class="search"
          placeholder="Search every job's messages below here"
          value={text}
          onInput={(e) => setText((e.target as HTMLInputElement).value)}
          data-testid="run-search-text"
        />
        {reply ? (
          <span class="muted" data-testid="run-search-count">
            {matches.length} found in {reply.scanned} of {reply.layers} jobs and groups{reply.next_cursor ? ' so far' : ''}
          </span>
        ) : null}
      </div>
      <ErrorBanner error={error} />
      {!active ? <p class="muted">Type text to find, or choose a severity: every job below this one is searched, a page at a time.</p> : null}
      {active && reply && matches.length === 0 && !reply.next_cursor ? <p class="muted">No message matches.</p> : null}
      <div class="search-hits">
        {matches.map((m) => {
          const href = hrefBelowRoot(nodeKey, m.path, q ? `?grep=${encodeURIComponent(q)}` : '');
          return (
            <a class={`hit s${Math.floor(m.severity / 10) * 10}`} href={href} onClick={(e) => go(e, href)} data-testid="run-search-hit" title={m.message}>
              <span class="c-path mono">{m.path.length > 0 ? m.path.join('.') : '(here)'}</span>
              <span class="c-time">{clock(m.timestamp)}</span>
              <span class="c-sev">{severityName(m.severity)}</span>
              <span class="c-msg">{m.message}</span>
            </a>
          );
        })}
      </div>
      {reply?.unreadable.length ? <p class="muted">{reply.unreadable.length} could not be read: {reply.unreadable.map((p) => p.join('.')).join(', ')}</p> : null}
      {reply?.next_cursor ? (
        <button type="button" class="small" disabled={busy} onClick={() => void load(reply.next_cursor)} data-testid="run-search-more">
          {busy ? 'Searching…' : 'Search further'}
        </button>
      ) : null}
    </div>
  );
}
