/** The static kind: fixed text with {{param}} placeholders filled in; synchronous, no I/O. */
import { z } from 'zod';
import { lit } from '../codegen/literals.js';
import { text } from '../spec/primitives.js';
import { checkTemplate } from '../spec/rules.js';
import type { ToolKind } from './types.js';

export const StaticImpl = z.strictObject({
  text: text.describe('Text returned by the tool; {{param}} placeholders are filled in.'),
});
export type StaticImpl = z.infer<typeof StaticImpl>;

export const staticKind: ToolKind<'static', StaticImpl> = {
  name: 'static',
  schema: StaticImpl,
  authoring: { promptLine: 'static: { text: "Hello {{name}}" }' },

  check(impl, { params, at, add }) {
    checkTemplate(impl.text, params, at('static', 'text'), add);
  },

  annotations: () => ({ readOnly: true, openWorld: false }),

  emit: (impl) => ({ handler: `(args) => renderText(${lit(impl.text)}, args)`, sync: true }),

  label: () => 'static text',
};
