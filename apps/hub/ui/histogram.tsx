// The durations of a run's jobs as a histogram, with its slowest jobs listed (links to them).
import { duration } from './format';
import { navigate } from './router';
import { jobHref, linear, niceTicks, shortDuration } from './scale';
import type { TimelineBar } from './timeline';

const W = 800;
const H = 180;
const LEFT = 44;
const RIGHT = 12;
const TOP = 8;
const AXIS = 26;
const BINS = 24;
const SLOWEST = 10;

export function DurationHistogram({ bars, now, uid, rootIdent }: { bars: TimelineBar[]; now: number; uid: number | string; rootIdent: string }) {
  const jobs = bars.filter((b) => b.stopped !== null).map((b) => ({ bar: b, seconds: Math.max(0, (b.stopped ?? now) - b.started) }));
  if (jobs.length === 0) return <p class="muted">No job has finished yet.</p>;
  const longest = Math.max(...jobs.map((j) => j.seconds));
  const width = longest > 0 ? longest / BINS : 1;
  const bins = Array.from({ length: BINS }, (_, i) => ({ from: i * width, to: (i + 1) * width, count: 0 }));
  for (const j of jobs) bins[Math.min(BINS - 1, Math.floor(j.seconds / width))]!.count += 1;
  const most = Math.max(...bins.map((b) => b.count));
  const x = linear(0, width * BINS, LEFT, W - RIGHT);
  const yTicks = niceTicks(0, most, 4).filter((t) => Number.isInteger(t));
  const y = linear(0, Math.max(most, yTicks[yTicks.length - 1] ?? most), H - AXIS, TOP);
  const xTicks = niceTicks(0, width * BINS, 6).filter((t) => t <= width * BINS * (1 + 1e-9));
  const slowest = [...jobs].sort((a, b) => b.seconds - a.seconds).slice(0, SLOWEST);
  return (
    <div class="chart" data-testid="histogram">
      <div class="chart-head">
        <strong>Job durations</strong>
        <span class="muted">
          {jobs.length} finished job{jobs.length === 1 ? '' : 's'}, longest {duration(longest)}
        </span>
      </div>
      <svg class="chart-svg" viewBox={`0 0 ${W} ${H}`} width="100%" role="img" aria-label="Histogram of job durations">
        <g class="grid" data-testid="histogram-axis">
          {yTicks.map((t) => (
            <g>
              <line x1={LEFT} x2={W - RIGHT} y1={y(t)} y2={y(t)} />
              <text x={LEFT - 6} y={y(t) + 4} text-anchor="end">
                {t}
              </text>
            </g>
          ))}
          {xTicks.map((t) => (
            <text x={x(t)} y={H - AXIS + 14} text-anchor="middle" data-testid="histogram-tick">
              {shortDuration(t)}
            </text>
          ))}
          <text x={4} y={TOP + 10} class="axis-name">
            jobs
          </text>
        </g>
        {bins.map((b) =>
          b.count > 0 ? (
            <rect class="bar-bin" x={x(b.from) + 1} y={y(b.count)} width={Math.max(1, x(b.to) - x(b.from) - 2)} height={H - AXIS - y(b.count)} data-testid="histogram-bar" data-count={b.count}>
              <title>{`${b.count} job${b.count === 1 ? '' : 's'} of ${duration(b.from)} – ${duration(b.to)}`}</title>
            </rect>
          ) : null,
        )}
      </svg>
      <table class="kv slowest" data-testid="slowest">
        <thead>
          <tr>
            <th>Slowest jobs</th>
            <th class="num">Duration</th>
            <th>Outcome</th>
          </tr>
        </thead>
        <tbody>
          {slowest.map(({ bar, seconds }) => {
            const href = jobHref(uid, rootIdent, bar.path);
            return (
              <tr data-testid="slowest-row">
                <td>
                  <a href={href} onClick={(e) => (e.preventDefault(), navigate(href))}>
                    {bar.path.join('.')}
                  </a>
                </td>
                <td class="num">{duration(seconds)}</td>
                <td class={`o-text-${bar.outcome}`}>{bar.outcome}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
