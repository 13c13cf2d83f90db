// Writes schema/mcp-spec.schema.json and docs/errors.md from the sources (run after `npm run build`).
import { writeFileSync } from 'node:fs';
import { errorsMarkdown } from '../dist/core/errors/docs.js';
import { specJsonSchemaText } from '../dist/core/spec/index.js';

writeFileSync(new URL('../schema/mcp-spec.schema.json', import.meta.url), specJsonSchemaText());
writeFileSync(new URL('../docs/errors.md', import.meta.url), errorsMarkdown());
console.log('wrote schema/mcp-spec.schema.json and docs/errors.md');
