#!/usr/bin/env node
import { runCli } from '../dist/surfaces/cli/main.js';

process.exitCode = await runCli(['create', ...process.argv.slice(2)]);
