export {
  createWrapper,
  runWrapper,
  type Wrapper,
  type WrapperOptions,
  type WrapperLimits,
  type WrapperEvent,
  type WrapperOutcome,
  type MessageSource,
} from './wrapper.js';
export { failureSignature } from './signature.js';
export { DEFAULT_MAX_LINE_BYTES } from './lines.js';
