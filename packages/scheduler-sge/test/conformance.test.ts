import { testScheduler } from '@gator/protocol/conformance';
import { createSgeScheduler } from '../src/index.js';

// Queue tiny.q of the test cluster has 2 slots, so two 1-slot jobs fill it; the
// consumable simtool has 2 seats (scripts/sge/up.sh).
testScheduler({
  name: 'sge',
  create: () => createSgeScheduler({ options: { queue: 'tiny.q', poll: '0.2', grace: '1', host: '127.0.0.1' } }),
  slots: 2,
  licenses: { simtool: 2 },
  // A hang guard, not a timing check: after sge.test.ts restarts the qmaster, the engine only
  // schedules again once the execd has reported in (its load_report_time), which can pass 30 s.
  timeoutMs: 90_000,
});
