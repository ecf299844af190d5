/** Failure signatures live in @gator/protocol (the hub groups failures with the same function). */
export { failureSignature } from '@gator/protocol';
