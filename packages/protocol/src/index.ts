export * from './errors.js';
export * from './constants.js';
export * from './messages.js';
export * from './outcome.js';
export * from './dialect.js';
export * from './connection.js';
export * from './server.js';
export * from './credentials.js';
export * from './scheduler.js';
export * from './child-handle.js';
export * from './spec/index.js';
export * from './layout.js';
export * from './limits.js';
export * from './settings.js';
export * from './uplink.js';
export * from './layer.js';

export * from './shell-words.js';
