/**
 * @gator/hub — the web dashboard and registry of Gator runs: `startHub` serves the
 * API, the event stream and the UI; `createHubClient` is what a run uses to register.
 */
export { startHub, isLoopback, HubOptionsSchema, type Hub, type HubOptions } from './hub.js';
export type { HubLogEvent } from './http.js';
export {
  createHubClient,
  parseHubAddress,
  type HubAddress,
  type HubClient,
  type HubClientOptions,
  type HubRegistration,
  type HubCompletion,
} from './client.js';
export { HubError, type HubErrorCode } from './errors.js';
export {
  openRepository,
  defaultDatabasePath,
  type HubRepository,
  type RunRecord,
  type Completion,
  type NewRegistration,
  type RunPage,
} from './repository/index.js';
export {
  RegisterBodySchema,
  HeartbeatBodySchema,
  CompleteBodySchema,
  RunQuerySchema,
  ResolveQuerySchema,
  MessageQuerySchema,
  type RegisterBody,
  type HeartbeatBody,
  type CompleteBody,
  type RunQuery,
  type RunState,
  type ResolveQuery,
  type MessageQuery,
  type ChildFilter,
} from './schemas.js';
export type { HubJob, MessagesReply, NodeDetail } from './tree.js';
export type { RunJob } from './runs.js';
export type { Repro } from './repro.js';
