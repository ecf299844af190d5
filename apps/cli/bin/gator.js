#!/usr/bin/env node
// The `gator` command. A file in the repository (not in dist/), so package
// managers can link it before the first build (a fresh clone's `pnpm install`).
import '../dist/cli.js';
