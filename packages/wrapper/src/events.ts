/**
 * What a wrapper tells its renderer (the CLI): the events every layer emits
 * (`LayerEvent`), with the wrapper's own details.
 */
import type { LayerEvent } from '@gator/protocol';

/** Where a message came from. */
export type MessageSource = 'stdout' | 'stderr' | 'api' | 'wrapper';

type LayerEventOf<T extends LayerEvent['type']> = Extract<LayerEvent, { type: T }>;

export type WrapperEvent =
  | (LayerEventOf<'message'> & { source: MessageSource })
  | { type: 'started'; pid: number; command: string; attempt: number }
  | { type: 'exited'; code: number | null; signal: string | null; attempt: number }
  | LayerEventOf<'notice'>
  | LayerEventOf<'summary'>
  /** The job's end, once (what the live stream prints). */
  | LayerEventOf<'end'>
  | (LayerEventOf<'complete'> & { code: number });
