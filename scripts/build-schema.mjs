// Writes schema/mcp-spec.schema.json, docs/errors.md and docs/configuration.md from the sources (run after
// `npm run build`); test/errors.test.ts and test/config.test.ts fail when one of them is stale.
import { writeFileSync } from 'node:fs';
import { errorsMarkdown } from '../dist/core/errors/docs.js';
import { specJsonSchemaText } from '../dist/core/spec/index.js';
import { configurationMarkdown } from '../dist/platform/config-docs.js';

writeFileSync(new URL('../schema/mcp-spec.schema.json', import.meta.url), specJsonSchemaText());
writeFileSync(new URL('../docs/errors.md', import.meta.url), errorsMarkdown());
writeFileSync(new URL('../docs/configuration.md', import.meta.url), configurationMarkdown());
console.log('wrote schema/mcp-spec.schema.json, docs/errors.md and docs/configuration.md');
