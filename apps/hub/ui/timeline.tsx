// A run's timeline: one bar per job over the run's wall time, in the lane (slot) it ran in,
// coloured by outcome; hovering tells its path, duration and reason, a click opens it.
import { duration } from './format';
import { navigate } from './router';
import { CHART_OUTCOMES, jobHref, linear, shortDuration, timeTicks } from './scale';

export interface TimelineBar {
  path: string[];
  started: number;
  stopped: number | null;
  outcome: string;
  reason: string | null;
  lane: number;
}

export interface TimelineData {
  started: number | null;
  stopped: number | null;
  now: number;
  bars: TimelineBar[];
  lanes: number;
  notStarted: number;
  truncated: boolean;
}

const W = 800;
const LEFT = 44;
const RIGHT = 12;
const TOP = 8;
const AXIS = 26;

export function Timeline({ data, uid, rootIdent }: { data: TimelineData; uid: number | string; rootIdent: string }) {
  if (data.bars.length === 0 || data.started === null) return <p class="muted">No job of this run has started yet.</p>;
  const t0 = data.started;
  const span = Math.max(0.001, (data.stopped ?? data.now) - t0);
  // Lanes are thinner the more there are, so a wide run stays on about one screen (thousands
  // of jobs at once share pixels rather than making the picture thousands of pixels tall).
  const laneH = Math.min(18, Math.max(360 / data.lanes, Math.min(2, 720 / data.lanes)));
  const gap = laneH >= 8 ? 2 : 0;
  const height = TOP + data.lanes * laneH + AXIS;
  const x = linear(0, span, LEFT, W - RIGHT);
  const ticks = timeTicks(span);
  const counts = new Map<string, number>();
  for (const b of data.bars) counts.set(b.outcome, (counts.get(b.outcome) ?? 0) + 1);
  const laneTicks = data.lanes <= 12 ? [...Array(data.lanes).keys()] : [0, Math.floor(data.lanes / 2), data.lanes - 1];
  return (
    <div class="chart" data-testid="timeline">
      <div class="chart-head">
        <strong>Timeline</strong>
        <span class="muted">
          {data.bars.length} job{data.bars.length === 1 ? '' : 's'} in {data.lanes} slot{data.lanes === 1 ? '' : 's'} over {duration(span)}
          {data.notStarted ? ` · ${data.notStarted} never started` : ''}
          {data.truncated ? ' · only the first jobs are drawn' : ''}
        </span>
        <Legend counts={counts} />
      </div>
      <svg class="chart-svg" viewBox={`0 0 ${W} ${height}`} width="100%" role="img" aria-label="Timeline of the run's jobs">
        <g class="grid" data-testid="timeline-axis">
          {ticks.map((t) => (
            <g>
              <line x1={x(t)} x2={x(t)} y1={TOP} y2={height - AXIS} />
              <text x={x(t)} y={height - AXIS + 14} text-anchor="middle" data-testid="timeline-tick">
                {shortDuration(t)}
              </text>
            </g>
          ))}
          {laneTicks.map((l) => (
            <text x={LEFT - 6} y={TOP + l * laneH + laneH / 2 + 4} text-anchor="end" class="lane-label">
              {l + 1}
            </text>
          ))}
          <text x={4} y={TOP + 10} class="axis-name">
            slot
          </text>
        </g>
        {data.bars.map((b) => {
          const end = b.stopped ?? data.now;
          const x0 = x(b.started - t0);
          const w = Math.max(1, x(end - t0) - x0);
          const name = b.path.join('.');
          const href = jobHref(uid, rootIdent, b.path);
          return (
            <rect
              class={`bar-job o-${b.outcome}`}
              x={x0}
              y={TOP + b.lane * laneH + gap / 2}
              width={w}
              height={Math.max(1, laneH - gap)}
              data-testid="timeline-bar"
              data-outcome={b.outcome}
              data-path={name}
              data-lane={b.lane}
              onClick={() => navigate(href)}
            >
              <title>{`${name} · ${b.outcome} · ${duration(end - b.started)}${b.stopped === null ? ' so far' : ''}${b.reason ? ` · ${b.reason}` : ''}`}</title>
            </rect>
          );
        })}
      </svg>
    </div>
  );
}

export function Legend({ counts }: { counts: Map<string, number> }) {
  return (
    <span class="legend" data-testid="chart-legend">
      {CHART_OUTCOMES.filter((o) => counts.get(o)).map((o) => (
        <span class="legend-item" data-outcome={o}>
          <svg width="10" height="10" aria-hidden="true">
            <rect class={`o-${o}`} width="10" height="10" rx="2" />
          </svg>
          {o} {counts.get(o)}
        </span>
      ))}
    </span>
  );
}
