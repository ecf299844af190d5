// #region conformance
import { testScheduler } from '@gator/protocol/conformance';
import createExampleScheduler from '../src/index.js';

testScheduler({
  name: 'example',
  create: () => createExampleScheduler({ options: { slots: '2', grace: '1' } }),
  slots: 2,
});
// #endregion
