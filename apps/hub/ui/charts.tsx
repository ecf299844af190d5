// The Charts tab of a node: a group's timeline and duration histogram, a job's CPU/memory and
// its trend across runs. Each fetches what it draws, once per node (and again while it runs).
import { useEffect, useState } from 'preact/hooks';
import { getJson } from './api';
import { DurationHistogram } from './histogram';
import { ResourceChart, type ResourceData } from './resource-chart';
import { chartApi } from './scale';
import { Timeline, type TimelineData } from './timeline';
import { JobTrend, type JobHistoryData } from './trend';
import { ErrorBanner } from './widgets';

/** Fetches `url` (again every `refreshMs` while set); undefined until the first reply. */
function useFetched<T>(url: string | undefined, refreshMs?: number): { data: T | undefined; error: { message: string; hint?: string } | undefined } {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<{ message: string; hint?: string }>();
  useEffect(() => {
    setData(undefined);
    setError(undefined);
    if (!url) return;
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      try {
        const reply = await getJson<T>(url);
        if (!cancelled) (setData(reply), setError(undefined));
      } catch (e) {
        if (!cancelled) setError(e as Error);
      }
      if (!cancelled && refreshMs) timer = setTimeout(load, refreshMs);
    };
    void load();
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [url, refreshMs]);
  return { data, error };
}

export function NodeCharts({ nodeKey, tier, live }: { nodeKey: string; tier: boolean; live: boolean }) {
  const [uid, rootEnc, ...rest] = nodeKey.split('/');
  const rootIdent = decodeURIComponent(rootEnc ?? '');
  const refresh = live ? 3000 : undefined;
  const timeline = useFetched<TimelineData>(tier ? chartApi('timeline', nodeKey) : undefined, refresh);
  const resources = useFetched<ResourceData>(tier ? undefined : chartApi('resources', nodeKey), refresh);
  const jobPath = rest.map(decodeURIComponent).join('.');
  const history = useFetched<{ job?: JobHistoryData }>(tier || !jobPath ? undefined : `/api/job/${uid}/history?path=${encodeURIComponent(jobPath)}`);
  return (
    <div class="pane-scroll charts" data-testid="charts">
      {tier ? (
        <>
          <ErrorBanner error={timeline.error} />
          {timeline.data ? (
            <>
              <Timeline data={timeline.data} uid={uid!} rootIdent={rootIdent} />
              <DurationHistogram bars={timeline.data.bars} now={timeline.data.now} uid={uid!} rootIdent={rootIdent} />
            </>
          ) : !timeline.error ? (
            <p class="muted">Loading the timeline…</p>
          ) : null}
        </>
      ) : (
        <>
          <ErrorBanner error={resources.error} />
          {resources.data ? <ResourceChart data={resources.data} /> : !resources.error ? <p class="muted">Loading the samples…</p> : null}
          {/* A run the hub has no database of yet (a live one) has no trend to show: a note, not an error. */}
          {history.error ? (
            <p class="muted" data-testid="trend-unavailable">
              No trend across runs here: {history.error.message}
            </p>
          ) : null}
          {history.data?.job ? <JobTrend history={history.data.job} rootIdent={rootIdent} current={Number(uid)} /> : null}
        </>
      )}
    </div>
  );
}
