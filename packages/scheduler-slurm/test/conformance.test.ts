import { testScheduler } from '@gator/protocol/conformance';
import { createSlurmScheduler } from '../src/index.js';

// Partition `tiny` of the test cluster lets a job use at most 2 CPUs of the node,
// so two 1-CPU jobs fill it; simtool has 2 seats (scripts/slurm/up.sh).
testScheduler({
  name: 'slurm',
  create: () => createSlurmScheduler({ options: { partition: 'tiny', poll: '0.2', grace: '1', host: '127.0.0.1' } }),
  slots: 2,
  licenses: { simtool: 2 },
});
