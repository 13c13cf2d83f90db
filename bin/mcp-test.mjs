#!/usr/bin/env node
import { runCli } from '../dist/surfaces/cli/main.js';

process.exitCode = await runCli(['test', ...process.argv.slice(2)]);
