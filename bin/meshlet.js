#!/usr/bin/env node
// Installed entry point: runs the compiled CLI (npm's `prepare` builds dist/).
import { main } from '../dist/main.js';

process.exitCode = await main(process.argv.slice(2));
