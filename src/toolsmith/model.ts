/**
 * One structured question to the model: the answer must parse as JSON and match the zod schema of the node; a
 * malformed answer is sent back once with what was wrong, then it is LLM_BAD_OUTPUT. Model time is counted
 * separately, so the toolsmith can report its own overhead without the model's.
 */
import { z } from 'zod';
import { FactoryError } from '../core/errors/index.js';
import type { LlmClient, LlmMessage } from '../llm/index.js';
import { SYSTEM } from './prompts.js';

export interface ModelMeter {
  calls: number;
  ms: number;
}

export async function askModel<S extends z.ZodType>(
  llm: LlmClient,
  input: {
    purpose: string;
    prompt: string;
    schema: S;
    schemaName: string;
    meter: ModelMeter;
    signal?: AbortSignal;
  },
): Promise<z.output<S>> {
  const jsonSchema = z.toJSONSchema(input.schema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  const messages: LlmMessage[] = [{ role: 'user', content: input.prompt }];
  let problem = '';
  for (let round = 0; round < 2; round++) {
    const t0 = performance.now();
    const reply = await llm.generateJson({
      purpose: input.purpose,
      system: SYSTEM,
      messages,
      schema: jsonSchema,
      schemaName: input.schemaName,
      ...(input.signal ? { signal: input.signal } : {}),
    });
    input.meter.calls += 1;
    input.meter.ms += performance.now() - t0;
    if (reply.json.ok) {
      const parsed = input.schema.safeParse(reply.json.value);
      if (parsed.success) return parsed.data;
      problem = parsed.error.issues
        .slice(0, 10)
        .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
        .join('; ');
    } else problem = reply.json.error;
    messages.push(
      { role: 'assistant', content: reply.text.slice(0, 20_000) },
      {
        role: 'user',
        content: `That answer is not usable: ${problem}. Answer again with only the JSON object.`,
      },
    );
  }
  throw new FactoryError('LLM_BAD_OUTPUT', `${input.purpose}: the model's answer did not match: ${problem}`, {
    details: { purpose: input.purpose },
  });
}
