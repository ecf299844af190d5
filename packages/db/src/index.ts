export { DatabaseError, type DatabaseErrorCode } from './errors.js';
export {
  openLayerStore,
  type LayerStore,
  type LayerStoreOptions,
  type NewMessage,
  type NewProcStat,
  type NewChild,
  type ChildPatch,
  type NewAttempt,
  type NewNotice,
  type AttemptPatch,
  type RawLog,
  type SeverityCounts,
} from './store.js';
export {
  openLayerReader,
  type LayerReader,
  type MessageQuery,
  type ChildRow,
  type AttemptRow,
  type NoticeRow,
  type MetricRow,
  type ProcStatRow,
} from './reader.js';
export { walkRun, closeRun, type RunNode } from './walk.js';
export { DB_FILE_NAME, MESSAGES_LOG_NAME, SPEC_FILE_NAME, PYTHON_DDL, GATOR_DDL, floatText } from './schema.js';
export { MessagePages, MAX_MESSAGE_PAGE } from './message-pages.js';
export {
  loadRunModel,
  eachNode,
  jobsOf,
  failureOf,
  emptyCounts,
  withMean,
  isOldNoticeLine,
  rootIsGone,
  type RunModel,
  type RunModelOptions,
  type NodeModel,
  type NodeState,
  type NoticeModel,
  type AttemptModel,
  type MessageCounts,
  type ResultName,
} from './run-model.js';
export { listRuns, readRunEntries, readRunEntry, runHistory, previousRun, type RunEntry, type HistoryOptions } from './run-history.js';
export { readRunTrials, readJobTrial, trialOfNode, trialPath, type JobTrial, type RunTrials } from './job-trials.js';
export { diffRuns, DIFF_SECTIONS, type RunDiff, type DiffEntry, type DiffOptions, type DiffSection } from './run-diff.js';
export { jobHistory, type JobHistory, type JobHistoryRow } from './job-history.js';
export { loadRecordedRunModel } from './recorded-run.js';
