/** The specs the benchmarks generate servers from (built in code; validated with the public API). */

/** The echo tool both HTTP servers implement: the generated one from this spec, the hand-written one by hand. */
export const ECHO_TOOL = {
  name: 'echo',
  description: 'Echo the text back.',
  parameters: { text: { type: 'string', required: true } },
  static: { text: 'You said: {{text}}' },
};

export function echoSpec() {
  return {
    name: 'bench-echo',
    version: '1.0.0',
    description: 'Benchmark: one static echo tool.',
    transport: 'http',
    tools: [ECHO_TOOL],
  };
}

/** Ten tools: four `static`, six `code` (TypeScript bodies that the type-check step compiles). */
export function tenToolSpec() {
  return {
    name: 'bench-ten-tools',
    version: '1.0.0',
    title: 'Benchmark: ten tools',
    description: 'A mix of static and code tools used by bench/run.mjs.',
    tools: [
      ECHO_TOOL,
      {
        name: 'greet',
        description: 'Greet someone.',
        parameters: { name: { type: 'string', required: true, minLength: 1 } },
        static: { text: 'Hello, {{name}}! Welcome.' },
      },
      { name: 'status', description: 'A fixed status line.', static: { text: 'all systems nominal' } },
      {
        name: 'pair',
        description: 'Join two words.',
        parameters: { a: { type: 'string', required: true }, b: { type: 'string', required: true } },
        static: { text: '{{a}} and {{b}}' },
      },
      {
        name: 'add',
        description: 'Add two numbers.',
        parameters: { a: { type: 'number', required: true }, b: { type: 'number', required: true } },
        returns: { type: 'number' },
        code: { source: 'return args.a + args.b;' },
      },
      {
        name: 'word_count',
        description: 'Count words and characters.',
        parameters: { text: { type: 'string', required: true, maxLength: 100000 } },
        returns: { type: 'object', properties: { words: { type: 'integer' }, chars: { type: 'integer' } } },
        code: {
          source:
            'const words = args.text.split(/\\s+/).filter(Boolean).length;\nreturn { words, chars: args.text.length };',
        },
      },
      {
        name: 'reverse',
        description: 'Reverse a string.',
        parameters: { text: { type: 'string', required: true } },
        returns: { type: 'string' },
        code: { source: 'return [...args.text].reverse().join("");' },
      },
      {
        name: 'slugify',
        description: 'Turn a title into a URL slug.',
        parameters: {
          title: { type: 'string', required: true, minLength: 1 },
          separator: { type: 'string', enum: ['-', '_'], default: '-' },
        },
        returns: { type: 'string' },
        code: {
          source: [
            "const slug = args.title.normalize('NFKD').replace(/[\\u0300-\\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, args.separator);",
            "if (!slug) throw new Error('the title has no letters or digits');",
            'return slug;',
          ].join('\n'),
        },
      },
      {
        name: 'stats',
        description: 'Minimum, maximum and mean of numbers.',
        parameters: { values: { type: 'array', items: { type: 'number' }, required: true, minItems: 1 } },
        returns: {
          type: 'object',
          properties: { min: { type: 'number' }, max: { type: 'number' }, mean: { type: 'number' } },
        },
        code: {
          source: [
            'const min = Math.min(...args.values);',
            'const max = Math.max(...args.values);',
            'const mean = args.values.reduce((n, v) => n + v, 0) / args.values.length;',
            'return { min, max, mean };',
          ].join('\n'),
        },
      },
      {
        name: 'iso_time',
        description: 'Format epoch milliseconds as ISO 8601.',
        parameters: { ms: { type: 'integer', required: true, minimum: 0 } },
        returns: { type: 'string' },
        code: { source: 'return new Date(args.ms).toISOString();' },
      },
    ],
  };
}
