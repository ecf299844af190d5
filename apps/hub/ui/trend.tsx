// One job across the runs of its spec: each run's outcome (colour) and duration (height),
// oldest left, and its flake rate; a click opens the job in that run.
import { dateTime, duration } from './format';
import { navigate } from './router';
import { jobHref, linear, niceTicks, shortDuration } from './scale';
import { Legend } from './timeline';

export interface JobHistoryData {
  path: string;
  rows: { run: { dir: string; started: number | null; uid?: number | null }; trial: { outcome: string; duration: number | null; attempt: number | null; reason: string | null; seed: string | null } }[];
  runs: number;
  ran: number;
  flaky: number;
  passed: number;
  failed: number;
  flakeRate: number;
}

const W = 800;
const H = 150;
const LEFT = 44;
const RIGHT = 12;
const TOP = 8;
const AXIS = 22;

export function JobTrend({ history, rootIdent, current }: { history: JobHistoryData; rootIdent: string; current: number }) {
  const rows = [...history.rows].reverse();
  if (rows.length === 0) return <p class="muted">This job has no history yet.</p>;
  const longest = Math.max(0, ...rows.map((r) => r.trial.duration ?? 0));
  const ticks = niceTicks(0, longest || 1, 3);
  const y = linear(0, Math.max(longest, ticks[ticks.length - 1] ?? 1) || 1, H - AXIS, TOP);
  const slot = (W - LEFT - RIGHT) / Math.max(rows.length, 1);
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.trial.outcome, (counts.get(r.trial.outcome) ?? 0) + 1);
  const pct = (n: number) => `${Math.round(n * 100)}%`;
  return (
    <div class="chart" data-testid="trend">
      <div class="chart-head">
        <strong>Across runs</strong>
        <span class="muted" data-testid="trend-summary">
          {rows.length} run{rows.length === 1 ? '' : 's'} · {history.passed} passed · {history.flaky} flaky · {history.failed} failed · flake rate {pct(history.flakeRate)}
        </span>
        <Legend counts={counts} />
      </div>
      <svg class="chart-svg" viewBox={`0 0 ${W} ${H}`} width="100%" role="img" aria-label="The job's outcome and duration across runs">
        <g class="grid" data-testid="trend-axis">
          {ticks.map((t) => (
            <g>
              <line x1={LEFT} x2={W - RIGHT} y1={y(t)} y2={y(t)} />
              <text x={LEFT - 6} y={y(t) + 4} text-anchor="end">
                {shortDuration(t)}
              </text>
            </g>
          ))}
          <text x={LEFT + 4} y={TOP + 10} class="axis-name">
            duration
          </text>
        </g>
        {rows.map((r, i) => {
          const d = r.trial.duration ?? 0;
          const top = y(d);
          const uid = r.run.uid ?? null;
          const bw = Math.max(2, Math.min(40, slot * 0.7));
          const cx = LEFT + slot * i + slot / 2;
          const h = Math.max(2, H - AXIS - top);
          const href = uid !== null ? jobHref(uid, rootIdent, history.path.split('.')) : undefined;
          return (
            <g>
              <rect
                class={`bar-job o-${r.trial.outcome} ${uid === current ? 'current' : ''}`}
                x={cx - bw / 2}
                y={H - AXIS - h}
                width={bw}
                height={h}
                data-testid="trend-bar"
                data-outcome={r.trial.outcome}
                data-uid={uid ?? ''}
                onClick={() => href && navigate(href)}
              >
                <title>{`${uid !== null ? `run #${uid} · ` : ''}${dateTime(r.run.started)} · ${r.trial.outcome}${r.trial.attempt && r.trial.attempt > 1 ? ` on attempt ${r.trial.attempt}` : ''} · ${duration(r.trial.duration)}${r.trial.reason ? ` · ${r.trial.reason}` : ''}`}</title>
              </rect>
              <text x={cx} y={H - AXIS + 14} text-anchor="middle" class="tick-small">
                {uid !== null ? `#${uid}` : ''}
              </text>
            </g>
          );
        })}
      </svg>
    </div>
  );
}
