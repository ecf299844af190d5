import os from 'node:os';
import path from 'node:path';
import { openPostgresRepository } from './postgres.js';
import { openSqliteRepository } from './sqlite.js';
import type { HubRepository } from './types.js';

export type { HubRepository, RunRecord, Completion, NewRegistration, RunPage } from './types.js';
export { redactUrl } from './postgres.js';

/** Where the registry lives when `--database` is not given. */
export function defaultDatabasePath(): string {
  return path.join(os.homedir(), '.gator', 'hub.sqlite');
}

/** `postgres://…` / `postgresql://…` → PostgreSQL; anything else is a SQLite file path. */
export async function openRepository(database: string = defaultDatabasePath()): Promise<HubRepository> {
  if (/^postgres(ql)?:\/\//i.test(database)) return openPostgresRepository(database);
  return openSqliteRepository(database.replace(/^sqlite:(\/\/)?/i, ''));
}
