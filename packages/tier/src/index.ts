/**
 * @gator/tier: runs one `!JobGroup`/`!JobArray` layer of a Gator run.
 */
export {
  createTier,
  runTier,
  type Tier,
  type TierOptions,
  type TierEvent,
  type TierOutcome,
  type TierInternals,
  type ChildEventState,
} from './tier.js';
export { DependencyGraph, DEPENDENCY_KINDS, type DependencyKind, type DependencyNode, type Decisions, type SkipDecision } from './dependencies.js';
export { checkResources } from './resources.js';
export { Rollup, orderMetrics, type RollupOptions, type LiveContribution } from './rollup.js';
