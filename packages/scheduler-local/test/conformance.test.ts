import { testScheduler } from '@gator/protocol/conformance';
import { createLocalScheduler } from '../src/index.js';

testScheduler({
  name: 'local',
  create: () => createLocalScheduler({ options: { concurrency: '2', licenses: 'simtool:1', grace: '1' } }, { env: {} }),
  slots: 2,
  licenses: { simtool: 1 },
});
