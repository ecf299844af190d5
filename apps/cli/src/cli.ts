#!/usr/bin/env node
/**
 * The `gator` command (dist/cli.js; bin/gator.js imports it). It starts the CLI
 * from the root build (dist/root.cjs: one CommonJS bundle run from a V8 code cache,
 * root-loader.ts), not from these ES modules: Node 20 lexes every CommonJS package
 * imported from ESM and compiles every module, ~0.35 CPU s before a command ran.
 */
import { createRequire } from 'node:module';

createRequire(import.meta.url)('./root.cjs');
