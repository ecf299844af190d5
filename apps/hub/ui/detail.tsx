// The selected node: result, progress, counts, metrics, failure buckets, command and
// repro line, and its messages.
import { useEffect, useRef, useState } from 'preact/hooks';
import { apiPath, getJson, type Detail, type Job, type MessagesReply } from './api';
import { NodeCharts } from './charts';
import { bytes, dateTime, jobDuration, progressOf, verdictOf } from './format';
import { MessagesPanel, type MessageFilters, type TailRequest } from './messages';
import { navigate } from './router';
import { isTier } from './tree';
import { FailedJobs, RunSearch } from './triage';
import { Badge, ErrorBanner, Icon, ProgressBar, useNow } from './widgets';

const BUILTIN = new Set(['sub_total', 'sub_active', 'sub_passed', 'sub_failed', 'msg_critical', 'msg_error', 'msg_warning', 'msg_info', 'msg_debug']);

type Tab = 'messages' | 'failures' | 'search' | 'details' | 'charts';

function CopyButton({ text }: { text: string }) {
  const [done, setDone] = useState(false);
  return (
    <button
      type="button"
      class="small"
      onClick={() => {
        void navigator.clipboard?.writeText(text).then(() => {
          setDone(true);
          setTimeout(() => setDone(false), 1500);
        });
      }}
    >
      {done ? 'Copied' : 'Copy'}
    </button>
  );
}

export function NodeDetail(props: {
  nodeKey: string;
  job: Job | undefined;
  runLive: boolean;
  filters: MessageFilters;
  onFilters: (f: MessageFilters) => void;
  onTail: (t: TailRequest | undefined) => void;
  pushed: MessagesReply | undefined;
}) {
  const { nodeKey, job } = props;
  const [detail, setDetail] = useState<Detail>();
  const [error, setError] = useState<{ message: string; hint?: string }>();
  const [tab, setTab] = useState<Tab>('messages');
  const [focus, setFocus] = useState<{ uid: number }>();
  const [searchText, setSearchText] = useState<string>();
  const lastFetch = useRef(0);
  const version = job ? `${job.status}|${job.result}|${JSON.stringify(job.metrics)}` : '';

  // Another node keeps the tab the user chose (Charts stays Charts); only the search text is the old node's.
  useEffect(() => {
    setDetail(undefined);
    setError(undefined);
    setSearchText(undefined);
  }, [nodeKey]);

  // Fetched on selection, then again (at most every 2 s) as pushed updates change the node.
  useEffect(() => {
    let cancelled = false;
    const wait = Math.max(0, lastFetch.current + 2000 - Date.now());
    const t = setTimeout(async () => {
      lastFetch.current = Date.now();
      try {
        const d = await getJson<Detail>(apiPath('detail', nodeKey));
        if (!cancelled) {
          setDetail(d);
          setError(undefined);
        }
      } catch (e) {
        if (!cancelled) setError(e as Error);
      }
    }, detail ? wait : 0);
    return () => {
      cancelled = true;
      clearTimeout(t);
    };
  }, [nodeKey, version]);

  const shown = job ?? detail?.job;
  // A job has no "Search all jobs" tab: a search chosen on a group shows a job's messages.
  const shownTab: Tab = tab === 'search' && shown && !isTier(shown) ? 'messages' : tab;
  const live = props.runLive && shown !== undefined && shown.status !== 3;
  const now = useNow(live);
  if (!shown) {
    return (
      <div class="detail">
        <ErrorBanner error={error} />
        {!error ? <p class="muted">Loading…</p> : null}
      </div>
    );
  }
  const summary = detail?.summary;
  // The root says the run's verdict (the run model's), like every other view of the run.
  const runOutcome = shown.path.length === 0 ? detail?.run?.outcome : undefined;
  const verdict = verdictOf(runOutcome ? { ...shown, outcome: runOutcome } : shown);
  const progress = progressOf(shown.jobs ?? summary?.jobs, shown.metrics);
  const failures = summary?.failures ?? [];
  const buckets = summary?.buckets ?? [];
  const runUid = nodeKey.split('/')[0];
  const rootIdent = nodeKey.split('/')[1];
  const linkTo = (path: string[]) => {
    // Failure paths start with the root's ident.
    const rest = path[0] === decodeURIComponent(rootIdent) ? path.slice(1) : path;
    return `/runs/${[runUid, rootIdent, ...rest.map(encodeURIComponent)].join('/')}`;
  };
  const crumbs = [...shown.path, shown.ident];
  const metrics = Object.entries(shown.metrics).sort(([a], [b]) => Number(BUILTIN.has(b)) - Number(BUILTIN.has(a)) || a.localeCompare(b));
  const last = detail?.procStats[detail.procStats.length - 1];
  const a = detail?.attributes ?? {};

  return (
    <div class="detail" data-testid="detail">
      <div class="detail-head">
        <div class="crumbs">
          {crumbs.map((c, i) => {
            const href = `/runs/${[runUid, rootIdent, ...crumbs.slice(1, i + 1).map(encodeURIComponent)].join('/')}`;
            return (
              <span>
                {i > 0 ? <span class="sep">/</span> : null}
                {i < crumbs.length - 1 ? (
                  <a href={href} onClick={(e) => (e.preventDefault(), navigate(href))}>
                    {c}
                  </a>
                ) : (
                  <strong data-testid="detail-ident">{c}</strong>
                )}
              </span>
            );
          })}
        </div>
        <div class="head-line">
          <Icon verdict={verdict} />
          <Badge verdict={verdict} />
          <span class="muted">
            {shown.started ? `started ${dateTime(shown.started)}` : 'not started'}
            {shown.started ? ` · ${jobDuration(shown, now, live)}` : ''}
            {shown.status === 2 && props.runLive ? ' · running' : ''}
          </span>
        </div>
        {shown.reason ? (
          <div class="muted" data-testid="detail-reason">
            {shown.reason}
          </div>
        ) : null}
        {progress && isTier(shown) ? (
          <div class="head-progress">
            <ProgressBar progress={progress} wide />
            <span class="counts" data-testid="job-counts">
              <span>{progress.total} jobs</span>
              <span class="pass-text">{progress.passed} passed</span>
              <span class="fail-text">{progress.failed} failed</span>
              {progress.lost ? <span class="fail-text">{progress.lost} lost</span> : null}
              {progress.skipped ? <span>{progress.skipped} skipped</span> : null}
              {progress.stopped ? <span>{progress.stopped} stopped</span> : null}
              {progress.running ? <span>{progress.running} running</span> : null}
              {progress.pending ? <span>{progress.pending} pending</span> : null}
            </span>
          </div>
        ) : null}
        <div class="msg-counts muted" data-testid="msg-counts">
          {(['critical', 'error', 'warning', 'info', 'debug'] as const).map((s) => {
            // The run model's counts (the jobs' own messages, never Gator's notices), else the msg_* metrics.
            const n = shown.messages ? shown.messages[s] : shown.metrics[`msg_${s}`];
            return n ? (
              <span class={`mc s-${s}`}>
                {n} {s}
              </span>
            ) : null;
          })}
        </div>
      </div>
      <ErrorBanner error={error} />
      <div class="tabs" role="tablist">
        <button type="button" class={shownTab === 'messages' ? 'on' : ''} onClick={() => setTab('messages')} data-testid="tab-messages">
          Messages
        </button>
        <button type="button" class={shownTab === 'failures' ? 'on' : ''} onClick={() => setTab('failures')} data-testid="tab-failures">
          Failures{failures.length > 0 ? ` (${failures.length})` : ''}
        </button>
        {isTier(shown) ? (
          <button type="button" class={shownTab === 'search' ? 'on' : ''} onClick={() => setTab('search')} data-testid="tab-search" title="Search the messages of every job below this one">
            Search all jobs
          </button>
        ) : null}
        <button type="button" class={shownTab === 'details' ? 'on' : ''} onClick={() => setTab('details')} data-testid="tab-details">
          Details
        </button>
        <button type="button" class={shownTab === 'charts' ? 'on' : ''} onClick={() => setTab('charts')} data-testid="tab-charts">
          Charts
        </button>
      </div>
      {shownTab === 'messages' ? (
        <>
          {detail && detail.errors.length > 0 && shown.result === 2 ? (
            <div class="first-errors" data-testid="first-errors">
              <div class="label">First errors</div>
              {detail.errors.slice(0, 5).map((m) => (
                <div class="err-line link" onClick={() => setFocus({ uid: m.uid })} title="Show in the messages">
                  {m.message}
                </div>
              ))}
            </div>
          ) : null}
          <MessagesPanel
            nodeKey={nodeKey}
            live={live}
            filters={props.filters}
            onFilters={props.onFilters}
            onTail={props.onTail}
            pushed={props.pushed}
            showFirstError={shown.result === 2}
            focus={focus}
            onSearchBelow={isTier(shown) ? (text) => (setSearchText(text), setTab('search')) : undefined}
          />
        </>
      ) : null}
      {shownTab === 'failures' ? (
        <div class="pane-scroll">
          {isTier(shown) ? (
            // Every failed job below here with its reason, and every member of each bucket (the run model's).
            <FailedJobs nodeKey={nodeKey} buckets={buckets} />
          ) : failures.length > 0 ? (
            failures.map((f) => (
              <div class="failure">
                <a href={linkTo(f.path)} onClick={(e) => (e.preventDefault(), navigate(linkTo(f.path)))}>
                  {f.path.join('.')}
                </a>{' '}
                <span class="muted">{f.reason}</span>
                {(f.errors ?? []).map((line) => (
                  <div class="err-line">{line}</div>
                ))}
              </div>
            ))
          ) : (
            <p class="muted">{summary ? 'No failures recorded.' : 'Failures are listed for tiers once they report a summary.'}</p>
          )}
        </div>
      ) : null}
      {shownTab === 'search' ? (
        <div class="pane-scroll">
          <RunSearch nodeKey={nodeKey} initial={searchText} />
        </div>
      ) : null}
      {shownTab === 'charts' ? <NodeCharts nodeKey={nodeKey} tier={isTier(shown)} live={live} /> : null}
      {shownTab === 'details' ? (
        <div class="pane-scroll">
          {detail?.repro ? (
            <>
              <h3>Command</h3>
              <pre class="cmd" data-testid="repro-cmd">{detail.repro.cmd}</pre>
              <div class="muted">in {detail.repro.cwd ?? '(unknown directory)'}</div>
              <h3>
                Reproduce <CopyButton text={detail.repro.line} />
              </h3>
              <pre class="cmd" data-testid="repro-line">{detail.repro.line}</pre>
            </>
          ) : null}
          <h3>Metrics</h3>
          <table class="kv">
            <tbody>
              {metrics.map(([k, v]) => (
                <tr>
                  <td class="mono">{k}</td>
                  <td class="num">{v}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {summary?.stats ? (
            <>
              <h3>Metric statistics</h3>
              <table class="kv">
                <thead>
                  <tr>
                    <th>Metric</th>
                    <th class="num">Count</th>
                    <th class="num">Mean</th>
                    <th class="num">Min</th>
                    <th class="num">Max</th>
                  </tr>
                </thead>
                <tbody>
                  {Object.entries(summary.stats).map(([k, s]) => (
                    <tr>
                      <td class="mono">{k}</td>
                      <td class="num">{s.count}</td>
                      <td class="num">{s.count ? (s.sum / s.count).toFixed(3) : ''}</td>
                      <td class="num">{s.min}</td>
                      <td class="num">{s.max}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          ) : null}
          {last ? (
            <>
              <h3>Resources (last sample)</h3>
              <div class="muted">
                {last.nproc} process{last.nproc === 1 ? '' : 'es'} · CPU {last.cpu.toFixed(1)}% · RSS {bytes(last.mem)} · virtual {bytes(last.vmem)}
              </div>
            </>
          ) : null}
          <h3>Attributes</h3>
          <table class="kv">
            <tbody>
              {Object.entries(a)
                .filter(([k]) => k !== 'summary' && k !== 'env')
                .map(([k, v]) => (
                  <tr>
                    <td class="mono">{k}</td>
                    <td class="mono wrap">{v}</td>
                  </tr>
                ))}
              <tr>
                <td class="mono">database</td>
                <td class="mono wrap">{shown.db_file}</td>
              </tr>
            </tbody>
          </table>
        </div>
      ) : null}
    </div>
  );
}
