#!/usr/bin/env -S node --max-semi-space-size=1
// Installed entry point: runs the compiled CLI (npm's `prepare` builds dist/).
// The small young generation keeps streamed-body garbage from piling up in
// RSS between scavenges (docs/performance.md has the measurements).
import { main } from '../dist/main.js';

process.exitCode = await main(process.argv.slice(2));
