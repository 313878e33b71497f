#!/usr/bin/env node
// The CLI loads from its bundle (dist/bundle/cli.js, a few files) while that matches the compiled modules, else
// from dist/cli/index.js (src/bundles.ts).
import { cliEntry } from '../dist/bundles.js';

const { main } = await import(cliEntry());
process.exitCode = await main(process.argv.slice(2));
