// Small shared pieces: progress bar, verdict badge, error banner, ticking clock.
import { useEffect, useState } from 'preact/hooks';
import { VERDICT_ICON, VERDICT_LABEL, type Progress, type Verdict } from './format';

export function ProgressBar({ progress, wide }: { progress: Progress | undefined; wide?: boolean }) {
  if (!progress || progress.total <= 0) return <span class={`bar ${wide ? 'wide' : ''} empty`} />;
  const pct = (n: number) => `${Math.max(0, Math.min(100, (n / progress.total) * 100))}%`;
  return (
    <span
      class={`bar ${wide ? 'wide' : ''}`}
      title={`${progress.passed} passed, ${progress.failed} failed, ${progress.running} running of ${progress.total}`}
    >
      <span class="seg pass" style={{ width: pct(progress.passed) }} />
      <span class="seg fail" style={{ width: pct(progress.failed) }} />
      <span class="seg run" style={{ width: pct(progress.running) }} />
    </span>
  );
}

export function Badge({ verdict }: { verdict: Verdict }) {
  return (
    <span class={`badge v-${verdict}`} data-verdict={verdict}>
      {VERDICT_LABEL[verdict]}
    </span>
  );
}

export function Icon({ verdict }: { verdict: Verdict }) {
  return (
    <span class={`icon v-${verdict}`} aria-label={VERDICT_LABEL[verdict]}>
      {VERDICT_ICON[verdict]}
    </span>
  );
}

export function ErrorBanner({ error }: { error: { message: string; hint?: string } | undefined }) {
  if (!error) return null;
  return (
    <div class="error-banner" role="alert">
      {error.message}
      {error.hint ? <div class="hint">{error.hint}</div> : null}
    </div>
  );
}

/** Re-renders every second while `active` (running durations). */
export function useNow(active: boolean): number {
  const [now, setNow] = useState(Date.now() / 1000);
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => setNow(Date.now() / 1000), 1000);
    return () => clearInterval(t);
  }, [active]);
  return now;
}

export function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}
