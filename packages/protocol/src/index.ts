export * from './errors.js';
export * from './constants.js';
export * from './messages.js';
export * from './dialect.js';
export * from './connection.js';
export * from './server.js';
export * from './scheduler.js';
export * from './spec/index.js';
