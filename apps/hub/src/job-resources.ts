/**
 * A job's CPU and memory over time (`GET /api/job/<uid>/resources/root/…/job`):
 * the wrapper's ProcStat samples of the job's process tree, at most
 * MAX_POINTS of them (a long series is bucketed in SQL by @gator/db, memory
 * at its peak), with the job's start and end.
 */
import { JobState } from '@gator/protocol';
import { HubError } from './errors.js';
import { isFile, type CachedLayer, type LayerFiles } from './files.js';
import type { HubJob } from './tree.js';

export const MAX_POINTS = 600;

export interface ResourceSeries {
  /** Unix seconds. */
  started: number | null;
  stopped: number | null;
  /** Oldest first; cpu in % of one core, mem/vmem in bytes. */
  samples: { timestamp: number; cpu: number; mem: number; vmem: number; nproc: number }[];
}

export function jobResources(files: LayerFiles, job: HubJob): ResourceSeries {
  if (job.layer === 'tier') throw new HubError('GATOR_HUB_BAD_REQUEST', `${[...job.path, job.ident].join('.')} is a group: resources are sampled per job`);
  const empty: ResourceSeries = { started: job.started, stopped: job.stopped, samples: [] };
  if (!job.db_file || !isFile(job.db_file)) return empty;
  const volatile = job.status !== JobState.COMPLETE;
  let layer: CachedLayer | undefined;
  try {
    layer = files.open(job.db_file, volatile);
    if (layer.reader.kind !== 'wrapper') return empty;
    return { ...empty, samples: layer.reader.procStats({ maxPoints: MAX_POINTS }) };
  } catch (error) {
    if (error instanceof HubError) throw error;
    // A live Python layer's file holds nothing readable yet.
    return empty;
  } finally {
    if (layer && volatile) files.release(layer);
  }
}
