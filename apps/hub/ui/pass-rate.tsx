// A spec's pass rate over time, on the runs page: one point per run of the spec (passed jobs
// of the jobs that ran), coloured by the run's verdict; a click opens the run.
import { useEffect, useState } from 'preact/hooks';
import { getJson, type RunJob } from './api';
import { dateTime } from './format';
import { navigate } from './router';
import { jobHref, linear } from './scale';

export interface SpecTrendData {
  ident: string;
  points: { uid: number | null; started: number | null; stopped: number | null; outcome: string | null; jobs: { total: number; passed: number; failed: number; lost: number } | null; passRate: number | null }[];
  omitted: number;
}

const W = 900;
const H = 140;
const LEFT = 44;
const RIGHT = 14;
const TOP = 10;
const AXIS = 22;

export function PassRate({ data }: { data: SpecTrendData }) {
  const pts = data.points.filter((p) => p.passRate !== null && p.started !== null);
  if (pts.length === 0) return <p class="muted">No finished run of {data.ident} to chart yet.</p>;
  const t0 = pts[0]!.started!;
  const t1 = pts[pts.length - 1]!.started!;
  // Runs are spaced by order (not by clock): nightly and back-to-back runs both stay readable.
  const x = linear(0, Math.max(1, pts.length - 1), LEFT + 10, W - RIGHT - 10);
  const y = linear(0, 1, H - AXIS, TOP);
  const line = pts.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(p.passRate!).toFixed(1)}`).join(' ');
  const last = pts[pts.length - 1]!;
  return (
    <div class="chart" data-testid="pass-rate">
      <div class="chart-head">
        <strong>Pass rate of {data.ident}</strong>
        <span class="muted">
          {pts.length} run{pts.length === 1 ? '' : 's'} from {dateTime(t0)} to {dateTime(t1)} · latest {Math.round(last.passRate! * 100)}%
          {data.omitted ? ` · ${data.omitted} older runs not shown` : ''}
        </span>
      </div>
      <svg class="chart-svg" viewBox={`0 0 ${W} ${H}`} width="100%" role="img" aria-label={`Pass rate of ${data.ident} over time`}>
        <g class="grid" data-testid="pass-rate-axis">
          {[0, 0.25, 0.5, 0.75, 1].map((t) => (
            <g>
              <line x1={LEFT} x2={W - RIGHT} y1={y(t)} y2={y(t)} />
              <text x={LEFT - 6} y={y(t) + 4} text-anchor="end">
                {t * 100}%
              </text>
            </g>
          ))}
        </g>
        <path class="line-rate" d={line} />
        {pts.map((p, i) => {
          const href = p.uid !== null ? jobHref(p.uid, data.ident, []) : undefined;
          const verdict = p.outcome ?? 'unknown';
          return (
            <g>
              <circle
                class={`dot-run o-${verdict}`}
                cx={x(i)}
                cy={y(p.passRate!)}
                r={5}
                data-testid="pass-rate-point"
                data-outcome={verdict}
                data-rate={p.passRate!.toFixed(4)}
                onClick={() => href && navigate(href)}
              >
                <title>{`${p.uid !== null ? `run #${p.uid} · ` : ''}${dateTime(p.started)} · ${verdict} · ${p.jobs ? `${p.jobs.passed}/${p.jobs.total} passed` : ''}`}</title>
              </circle>
              {pts.length <= 30 ? (
                <text x={x(i)} y={H - AXIS + 14} text-anchor="middle" class="tick-small">
                  {p.uid !== null ? `#${p.uid}` : ''}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
    </div>
  );
}

/** The runs page's panel: the pass rate of one spec among the listed runs (the newest run's, or the one chosen). */
export function SpecPassRatePanel({ runs }: { runs: RunJob[] }) {
  const idents = [...new Set(runs.map((r) => r.ident))];
  const [chosen, setChosen] = useState<string>();
  const ident = chosen && idents.includes(chosen) ? chosen : idents[0];
  // The newest run of the spec that has a database (its history is read from the files).
  const newest = runs.find((r) => r.ident === ident && r.db_file);
  const uid = newest?.uidx;
  const [data, setData] = useState<SpecTrendData>();
  const [failed, setFailed] = useState(false);
  const finishedCount = runs.filter((r) => r.ident === ident && !r.live).length;
  useEffect(() => {
    if (uid === undefined) return;
    let cancelled = false;
    getJson<SpecTrendData>(`/api/job/${uid}/trend`)
      .then((d) => !cancelled && (setData(d), setFailed(false)))
      .catch(() => !cancelled && setFailed(true));
    return () => {
      cancelled = true;
    };
  }, [uid, finishedCount]);
  if (idents.length === 0 || uid === undefined) return null;
  return (
    <div class="spec-panel" data-testid="spec-panel">
      {idents.length > 1 ? (
        <select value={ident} onChange={(e) => setChosen((e.target as HTMLSelectElement).value)} data-testid="spec-select" aria-label="Spec to chart">
          {idents.map((i) => (
            <option value={i}>{i}</option>
          ))}
        </select>
      ) : null}
      {failed ? <p class="muted">The history of {ident} cannot be read here.</p> : data && data.ident === ident ? <PassRate data={data} /> : null}
    </div>
  );
}
