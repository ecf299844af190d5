// A job's messages: a virtualised table with a severity filter, a text search and a
// live tail (new messages pushed by the hub while the job runs).
import { useEffect, useRef, useState } from 'preact/hooks';
import { apiPath, getJson, type Message, type MessagesReply } from './api';
import { SEVERITIES, clock, severityName } from './format';
import { VirtualList } from './virtual';
import { ErrorBanner, useDebounced } from './widgets';

const PAGE = 1000;
/** Messages kept in the page at most; beyond, the oldest loaded stay and a note says so. */
const MAX_ROWS = 200_000;

export interface MessageFilters {
  severity: number;
  grep: string;
}

export interface TailRequest {
  key: string;
  after: number;
  severity: number;
  grep: string;
}

export function MessagesPanel(props: {
  nodeKey: string;
  live: boolean;
  filters: MessageFilters;
  onFilters: (f: MessageFilters) => void;
  /** The page's event stream tails this (undefined: no tail). */
  onTail: (tail: TailRequest | undefined) => void;
  /** Messages pushed by the stream for this node. */
  pushed: MessagesReply | undefined;
  /** A failed job opens on its first error line. */
  showFirstError: boolean;
  /** Scroll to this message (a click on an error line elsewhere). */
  focus: { uid: number } | undefined;
  /** A group's own messages are few: offer to search every job below it instead. */
  onSearchBelow?: (text: string) => void;
}) {
  const { nodeKey, live } = props;
  const [grepInput, setGrepInput] = useState(props.filters.grep);
  const grep = useDebounced(grepInput, 300);
  const severity = props.filters.severity;
  const [rows, setRows] = useState<Message[]>([]);
  const [total, setTotal] = useState<number | undefined>();
  const [matched, setMatched] = useState<number | undefined>();
  const [status, setStatus] = useState<number | undefined>();
  const [error, setError] = useState<{ message: string; hint?: string }>();
  const [caughtUp, setCaughtUp] = useState(false);
  const [follow, setFollow] = useState(true);
  const [expanded, setExpanded] = useState<Message | undefined>();
  const [scrollTo, setScrollTo] = useState<number | undefined>();
  const jumped = useRef(false);
  const cursor = useRef(0);
  const loading = useRef(false);
  const generation = useRef(0);
  /** Read from the end: where the earliest loaded page began (0: the start is loaded). */
  const [earlier, setEarlier] = useState<number | undefined>();

  useEffect(() => {
    if (grep !== props.filters.grep) props.onFilters({ severity, grep });
  }, [grep]);

  // (Re)load from the start whenever the node or the filters change.
  useEffect(() => {
    generation.current++;
    cursor.current = 0;
    loading.current = false;
    setRows([]);
    setTotal(undefined);
    setMatched(undefined);
    setStatus(undefined);
    setCaughtUp(false);
    setExpanded(undefined);
    setError(undefined);
    setScrollTo(undefined);
    setEarlier(undefined);
    jumped.current = false;
    void loadMore();
  }, [nodeKey, severity, grep]);

  function query(extra: Record<string, string>): string {
    const params = new URLSearchParams({ limit: String(PAGE), ...extra });
    if (severity > 10) params.set('severity', String(severity));
    if (grep) params.set('grep', grep);
    return `${apiPath('messages', nodeKey)}?${params}`;
  }

  /** The last page (a 200,000-line log's end, without reading the rest), then earlier pages on demand. */
  async function loadEnd(): Promise<void> {
    const gen = ++generation.current;
    loading.current = true;
    jumped.current = true;
    setError(undefined);
    setExpanded(undefined);
    try {
      const reply = await getJson<MessagesReply>(query({ tail: '1' }));
      if (gen !== generation.current) return;
      cursor.current = reply.next_after;
      setRows(reply.messages);
      setTotal(reply.total);
      setMatched(reply.matched);
      setStatus(reply.status);
      setEarlier(reply.prev_before ?? 0);
      setCaughtUp(true);
      setScrollTo(Math.max(0, reply.messages.length - 1));
    } catch (e) {
      if (gen === generation.current) setError(e as Error);
    } finally {
      if (gen === generation.current) loading.current = false;
    }
  }

  async function loadEarlier(): Promise<void> {
    if (!earlier || loading.current) return;
    const gen = generation.current;
    loading.current = true;
    try {
      const reply = await getJson<MessagesReply>(query({ tail: '1', before: String(earlier) }));
      if (gen !== generation.current) return;
      setRows((r) => [...reply.messages, ...r].slice(0, MAX_ROWS));
      setEarlier(reply.prev_before ?? 0);
      // Keep the first row shown before at the same place in view.
      setScrollTo(reply.messages.length);
    } catch (e) {
      if (gen === generation.current) setError(e as Error);
    } finally {
      if (gen === generation.current) loading.current = false;
    }
  }

  function loadStart(): void {
    generation.current++;
    cursor.current = 0;
    loading.current = false;
    jumped.current = true;
    setRows([]);
    setEarlier(undefined);
    setCaughtUp(false);
    setScrollTo(0);
    void loadMore();
  }

  useEffect(() => {
    if (jumped.current || !props.showFirstError) return;
    const i = rows.findIndex((m) => m.severity >= 40);
    if (i < 0) return;
    jumped.current = true;
    setScrollTo(i);
    setExpanded(rows[i]);
  }, [rows, props.showFirstError]);

  useEffect(() => {
    if (!props.focus) return;
    const i = rows.findIndex((m) => m.uid === props.focus?.uid);
    if (i >= 0) {
      setScrollTo(i);
      setExpanded(rows[i]);
    }
  }, [props.focus]);

  async function loadMore(): Promise<void> {
    if (loading.current) return;
    loading.current = true;
    const gen = generation.current;
    try {
      // Filters may skip many messages per page: keep asking until a page is full or nothing moves.
      for (let round = 0; round < 20; round++) {
        const after = cursor.current;
        const params = new URLSearchParams({ after: String(after), limit: String(PAGE) });
        if (severity > 10) params.set('severity', String(severity));
        if (grep) params.set('grep', grep);
        const reply = await getJson<MessagesReply>(`${apiPath('messages', nodeKey)}?${params}`);
        if (gen !== generation.current) return;
        cursor.current = reply.next_after;
        setTotal(reply.total);
        setMatched(reply.matched);
        setStatus(reply.status);
        if (reply.messages.length > 0) setRows((r) => (r.length >= MAX_ROWS ? r : [...r, ...reply.messages]));
        if (reply.messages.length >= PAGE) return;
        if (reply.next_after === after) {
          setCaughtUp(true);
          return;
        }
      }
    } catch (e) {
      if (gen === generation.current) setError(e as Error);
    } finally {
      if (gen === generation.current) loading.current = false;
    }
  }

  // Once the history is loaded, a live job's new messages come from the event stream.
  const tailing = live && caughtUp && follow;
  useEffect(() => {
    props.onTail(tailing ? { key: nodeKey, after: cursor.current, severity, grep } : undefined);
  }, [tailing, nodeKey, severity, grep]);

  useEffect(() => {
    const p = props.pushed;
    if (!p || !tailing) return;
    setTotal(p.total);
    setStatus(p.status);
    const fresh = p.messages.filter((m) => m.uid > cursor.current);
    if (fresh.length > 0) {
      cursor.current = fresh[fresh.length - 1].uid;
      setRows((r) => (r.length >= MAX_ROWS ? r : [...r, ...fresh]));
      setMatched((m) => (m === undefined ? m : m + fresh.length));
    } else if (p.next_after > cursor.current) cursor.current = p.next_after;
  }, [props.pushed]);

  const filtered = severity > 10 || grep !== '';
  const isLive = live && status !== 3;
  return (
    <div class="messages">
      <div class="toolbar">
        <select
          value={String(severity)}
          onChange={(e) => props.onFilters({ severity: Number((e.target as HTMLSelectElement).value), grep })}
          data-testid="msg-severity"
          aria-label="Minimum severity"
        >
          {SEVERITIES.map((s) => (
            <option value={String(s.level)}>{s.level === 10 ? 'All severities' : `${s.name} and above`}</option>
          ))}
        </select>
        <input
          type="search"
          class="search"
          placeholder="Search messages"
          value={grepInput}
          onInput={(e) => setGrepInput((e.target as HTMLInputElement).value)}
          data-testid="msg-search"
        />
        <button type="button" class="small" onClick={() => loadStart()} title="Read from the first message" data-testid="msg-start">
          ⇤ Start
        </button>
        <button type="button" class="small" onClick={() => void loadEnd()} title="Jump to the last messages" data-testid="msg-end">
          End ⇥
        </button>
        {live ? (
          <label class="tail" title="Follow new messages as they arrive">
            <input type="checkbox" checked={follow} onChange={(e) => setFollow((e.target as HTMLInputElement).checked)} data-testid="msg-tail" /> Live
            tail
          </label>
        ) : null}
        <span class="muted" data-testid="msg-count">
          Loaded {rows.length}
          {filtered && matched !== undefined ? ` of ${matched} matching` : ''}
          {total !== undefined ? ` / ${total} total` : ''}
          {isLive ? ' (live)' : ''}
        </span>
      </div>
      <ErrorBanner error={error} />
      {earlier ? (
        <button type="button" class="small earlier" onClick={() => void loadEarlier()} data-testid="msg-earlier">
          ↑ Load {PAGE} earlier messages
        </button>
      ) : null}
      <div class="msg-head">
        <span class="c-uid">#</span>
        <span class="c-time">Time</span>
        <span class="c-sev">Severity</span>
        <span class="c-msg">Message</span>
      </div>
      <VirtualList
        items={rows}
        rowHeight={22}
        rowKey={(m) => m.uid}
        followEnd={tailing && scrollTo === undefined}
        scrollToIndex={scrollTo}
        onNearEnd={() => {
          if (!caughtUp) void loadMore();
        }}
        testId="msg-table"
        className="msg-table"
        renderRow={(m) => (
          <div
            class={`msg s${Math.floor(m.severity / 10) * 10} ${expanded?.uid === m.uid ? 'sel' : ''}`}
            data-testid="msg-row"
            data-severity={severityName(m.severity)}
            onClick={() => setExpanded(expanded?.uid === m.uid ? undefined : m)}
            title={m.message}
          >
            <span class="c-uid">{m.uid}</span>
            <span class="c-time">{clock(m.timestamp)}</span>
            <span class="c-sev">{severityName(m.severity)}</span>
            <span class="c-msg">{m.message}</span>
          </div>
        )}
      />
      {rows.length === 0 && total !== undefined ? <div class="empty-note">{filtered ? 'No message matches.' : 'No messages.'}</div> : null}
      {filtered && props.onSearchBelow ? (
        <div class="note">
          These are this group's own messages.{' '}
          <a href="#" onClick={(e) => (e.preventDefault(), props.onSearchBelow?.(grep))} data-testid="msg-search-below">
            Search every job below it
          </a>
        </div>
      ) : null}
      {rows.length >= MAX_ROWS && earlier === undefined ? <div class="note">Showing the first {MAX_ROWS} messages; narrow the filters to see others.</div> : null}
      {expanded ? (
        <pre class="msg-full" data-testid="msg-full">
          [{clock(expanded.timestamp)}] {severityName(expanded.severity)} #{expanded.uid}
          {'\n'}
          {expanded.message}
        </pre>
      ) : null}
    </div>
  );
}
