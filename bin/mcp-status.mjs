#!/usr/bin/env node
import { runCli } from '../dist/surfaces/cli/main.js';

process.exitCode = await runCli(['status', ...process.argv.slice(2)]);
