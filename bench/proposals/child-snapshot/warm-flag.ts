// Runs before child-entry.ts: load every layer's code without running a layer (its warm-up mode).
process.env.GATOR_CHILD_WARM_UP = '1';
(globalThis as Record<string, unknown>).__gatorMetaUrl = 'file:///snapshot/child-layer.cjs';
