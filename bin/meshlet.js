#!/usr/bin/env -S node --max-semi-space-size=1 --external-memory-accounted-in-global-limit
// Installed entry point: runs the compiled CLI (npm's `prepare` builds dist/).
// A 1 MiB young generation, and Buffer memory counted in V8's GC limits, keep
// streamed-body garbage from piling up in RSS (BENCHMARKS.md has the figures).
import { main } from '../dist/main.js';

process.exitCode = await main(process.argv.slice(2));
