// A job's CPU and memory over time, from the wrapper's samples of its process tree.
import { bytes, duration } from './format';
import { linear, niceTicks, shortDuration, timeTicks } from './scale';

export interface ResourceData {
  started: number | null;
  stopped: number | null;
  samples: { timestamp: number; cpu: number; mem: number; vmem: number; nproc: number }[];
}

const W = 800;
const H = 130;
const LEFT = 60;
const RIGHT = 12;
const TOP = 10;
const AXIS = 22;

function Panel(props: { name: string; testId: string; points: [number, number][]; span: number; max: number; label: (v: number) => string; ticks: number[] }) {
  const x = linear(0, props.span, LEFT, W - RIGHT);
  const top = Math.max(props.max, props.ticks[props.ticks.length - 1] ?? props.max);
  const y = linear(0, top || 1, H - AXIS, TOP);
  const line = props.points.map(([t, v], i) => `${i === 0 ? 'M' : 'L'}${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  const area = props.points.length > 0 ? `${line} L${x(props.points[props.points.length - 1]![0]).toFixed(1)},${H - AXIS} L${x(props.points[0]![0]).toFixed(1)},${H - AXIS} Z` : '';
  return (
    <svg class="chart-svg" viewBox={`0 0 ${W} ${H}`} width="100%" role="img" aria-label={props.name} data-testid={`${props.testId}-chart`}>
      <g class="grid" data-testid={`${props.testId}-axis`}>
        {props.ticks.map((t) => (
          <g>
            <line x1={LEFT} x2={W - RIGHT} y1={y(t)} y2={y(t)} />
            <text x={LEFT - 6} y={y(t) + 4} text-anchor="end">
              {props.label(t)}
            </text>
          </g>
        ))}
        {timeTicks(props.span).map((t) => (
          <text x={x(t)} y={H - AXIS + 14} text-anchor="middle">
            {shortDuration(t)}
          </text>
        ))}
        <text x={LEFT + 4} y={TOP + 10} class="axis-name">
          {props.name}
        </text>
      </g>
      <path class={`area-${props.testId}`} d={area} />
      <path class={`line-${props.testId}`} d={line} data-testid={props.testId} data-points={props.points.length} />
      {props.points.length === 1 ? <circle class={`dot-${props.testId}`} cx={x(props.points[0]![0])} cy={y(props.points[0]![1])} r={3} /> : null}
    </svg>
  );
}

export function ResourceChart({ data }: { data: ResourceData }) {
  const s = data.samples;
  if (s.length === 0) return <p class="muted">No resource samples were recorded for this job (it may have been too short to sample).</p>;
  const t0 = Math.min(data.started ?? s[0]!.timestamp, s[0]!.timestamp);
  const span = Math.max(1, (data.stopped ?? s[s.length - 1]!.timestamp) - t0, s[s.length - 1]!.timestamp - t0);
  const maxCpu = Math.max(...s.map((p) => p.cpu));
  const maxMem = Math.max(...s.map((p) => p.mem));
  // Memory ticks at round MiB/GiB steps.
  const unit = maxMem >= 2 ** 30 ? 2 ** 30 : maxMem >= 2 ** 20 ? 2 ** 20 : 1024;
  const memTicks = niceTicks(0, Math.max(maxMem / unit, 1), 3).map((t) => t * unit);
  return (
    <div class="chart" data-testid="resources">
      <div class="chart-head">
        <strong>CPU and memory</strong>
        <span class="muted">
          {s.length} sample{s.length === 1 ? '' : 's'} over {duration(span)} · peak CPU {maxCpu.toFixed(0)}% · peak RSS {bytes(maxMem)}
        </span>
      </div>
      <Panel name="CPU %" testId="cpu" points={s.map((p) => [p.timestamp - t0, p.cpu])} span={span} max={maxCpu} label={(v) => `${v}%`} ticks={niceTicks(0, Math.max(maxCpu, 100), 3)} />
      <Panel name="RSS" testId="mem" points={s.map((p) => [p.timestamp - t0, p.mem])} span={span} max={maxMem} label={(v) => bytes(v)} ticks={memTicks} />
    </div>
  );
}
