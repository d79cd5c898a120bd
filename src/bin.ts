#!/usr/bin/env node
/**
 * The installed command `openclaw-rollout <command>` (package.json `bin`, compiled to dist/bin.js): runs
 * any row of the CLI table (src/cli/main.ts), the worker and the codec server included, and --version.
 */
import { runAsProcess } from './cli/main.js';

void runAsProcess(process.argv.slice(2));
