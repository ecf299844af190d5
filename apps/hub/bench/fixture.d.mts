export interface FixtureNode {
  ident: string;
  /** JobResult: 1 pass, 2 fail, 3 aborted (default: from the children). */
  result?: number;
  messages?: [number, string][];
  children?: FixtureNode[];
  cmd?: string;
  cwd?: string;
  env?: Record<string, string>;
  metrics?: Record<string, number>;
  notStarted?: boolean;
}
export interface LayerContext {
  path: string[];
  uidx: number;
  root: number;
  t0: number;
}
export function writeLayer(
  dir: string,
  node: FixtureNode,
  ctx?: LayerContext,
): { result: number; metrics: Record<string, number>; failures: { path: string[]; reason: string; errors: string[] }[] };
export function bigRunSpec(options: { jobs: number; perTier?: number; failEvery?: number; messages?: number }): FixtureNode;
