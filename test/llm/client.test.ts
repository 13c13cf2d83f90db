/**
 * The real provider clients (@ai-sdk/openai, anthropic, google, openai-compatible) against the local fake of
 * their HTTP APIs: request shapes, structured output, usage and the execution log, retries honouring
 * Retry-After, and every failure mapped to a FactoryError code.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLlmClient } from '../../src/llm/client.js';
import { resolveLlmConfig } from '../../src/llm/config.js';
import { parseRetryAfter } from '../../src/llm/errors.js';
import { looksLikeRefusal, parseJsonAnswer } from '../../src/llm/json.js';
import { estimateCostUsd, priceOf } from '../../src/llm/pricing.js';
import { redactSecrets } from '../../src/llm/redact.js';
import { ExecutionLog } from '../../src/platform/execution-log.js';
import { type FakeProvider, startFakeProvider } from './fake-provider.js';
import { FAKE_KEY, failure, fakeClient, MODELS } from './helpers.js';

const SCHEMA = {
  type: 'object',
  properties: { answer: { type: 'string' }, next: { $ref: '#' } },
  required: ['answer'],
};
const ask = {
  purpose: 'test',
  system: 'You answer in JSON.',
  messages: [{ role: 'user' as const, content: 'Say hi.' }],
  schema: SCHEMA,
};

let fake: FakeProvider;
beforeAll(async () => {
  fake = await startFakeProvider({ apiKey: FAKE_KEY });
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
  expect(fake.pending()).toBe(0);
});

describe.each(['openai', 'anthropic', 'google', 'openai-compatible'] as const)('%s client', (provider) => {
  it('sends the prompt, gets JSON back and logs the call', async () => {
    const log = new ExecutionLog('test');
    const llm = await fakeClient(provider, fake, {}, { log });
    fake.push({ json: { answer: 'hi' }, usage: { in: 1000, out: 200 } });
    const reply = await llm.generateJson(ask);
    expect(reply.json).toEqual({ ok: true, value: { answer: 'hi' } });
    expect(reply).toMatchObject({ tokensIn: 1000, tokensOut: 200, retries: 0, finishReason: 'stop' });
    const [call] = log.llmCalls;
    expect(call).toMatchObject({
      provider,
      model: MODELS[provider],
      systemPrompt: 'You answer in JSON.',
      userPrompt: 'Say hi.',
      rawResponse: '{"answer":"hi"}',
      tokensIn: 1000,
      tokensOut: 200,
      retries: 0,
    });
    expect(call!.latencyMs).toBeGreaterThanOrEqual(0);
    if (provider === 'openai-compatible') expect(call!.estimatedCostUsd).toBeUndefined();
    else expect(call!.estimatedCostUsd).toBeGreaterThan(0);
    const request = fake.requests[0]!;
    // biome-ignore lint/suspicious/noExplicitAny: provider request bodies are free-form JSON
    const body = request.body as Record<string, any>;
    switch (provider) {
      case 'openai':
      case 'openai-compatible':
        expect(request.headers.authorization).toBe(`Bearer ${FAKE_KEY}`);
        expect(body.temperature).toBe(0.2);
        expect(body.response_format).toMatchObject({ type: 'json_schema', json_schema: { strict: false } });
        expect(body.response_format.json_schema.schema.properties.answer).toEqual({ type: 'string' });
        break;
      case 'anthropic':
        expect(request.headers['x-api-key']).toBe(FAKE_KEY);
        expect(body.temperature).toBe(0.2);
        // A recursive schema cannot use Anthropic's native output format: the SDK forces its "json" tool.
        expect(body.tools?.[0]).toMatchObject({ name: 'json' });
        expect(body.tools[0].input_schema.properties.answer).toEqual({ type: 'string' });
        expect(body.tool_choice).toMatchObject({ type: 'any' });
        break;
      case 'google':
        expect(request.headers['x-goog-api-key']).toBe(FAKE_KEY);
        expect(body.generationConfig).toMatchObject({
          temperature: 0.2,
          responseMimeType: 'application/json',
        });
        expect(body.generationConfig.responseSchema).toBeUndefined();
        break;
    }
  });

  it('maps a provider refusal or content filter to LLM_REFUSED without retrying', async () => {
    const llm = await fakeClient(provider, fake);
    // OpenAI-compatible servers have no `refusal` field; a content filter is their signal.
    fake.push(
      provider === 'openai-compatible'
        ? { contentFilter: true }
        : { refusal: "I can't help with building that." },
    );
    const error = await failure(llm.generateJson(ask));
    expect(error.code).toBe('LLM_REFUSED');
    expect(fake.requests).toHaveLength(1);
    fake.push({ contentFilter: true });
    expect((await failure(llm.generateJson(ask))).code).toBe('LLM_REFUSED');
  });

  it('maps a wrong key (401) to LLM_AUTH at once, naming the variable', async () => {
    const config = resolveLlmConfig({
      flags: {
        provider,
        model: MODELS[provider],
        baseUrl: provider === 'google' ? `${fake.url}/v1beta` : `${fake.url}/v1`,
        apiKeyEnv: 'WRONG_KEY',
      },
      env: {},
      configFile: false,
    });
    const llm = await createLlmClient(config, { env: { WRONG_KEY: 'not-the-key' }, retryBaseMs: 10 });
    const error = await failure(llm.generateJson(ask));
    expect(error.code).toBe('LLM_AUTH');
    expect(error.issues[0]?.hint).toContain('WRONG_KEY');
    expect(error.message).not.toContain('not-the-key');
    expect(fake.requests).toHaveLength(1);
  });

  it('retries a 429 after the Retry-After delay', async () => {
    const log = new ExecutionLog('test');
    const llm = await fakeClient(provider, fake, {}, { log });
    fake.push(
      { status: 429, headers: { 'retry-after': '1' }, message: 'rate limited' },
      { json: { answer: 'later' } },
    );
    const reply = await llm.generateJson(ask);
    expect(reply.json).toEqual({ ok: true, value: { answer: 'later' } });
    expect(reply.retries).toBe(1);
    expect(log.llmCalls[0]?.retries).toBe(1);
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[1]!.at - fake.requests[0]!.at).toBeGreaterThanOrEqual(950);
  });
});

describe('retries and failures', () => {
  it('fails fast with LLM_RATE_LIMITED when Retry-After is longer than the allowed wait', async () => {
    const llm = await fakeClient('openai', fake);
    fake.push({ status: 429, headers: { 'retry-after': '120' } });
    const error = await failure(llm.generateJson(ask));
    expect(error.code).toBe('LLM_RATE_LIMITED');
    expect(error.message).toContain('wait 120 s');
    expect(fake.requests).toHaveLength(1);
  });

  it('gives up with LLM_RATE_LIMITED after maxRetries', async () => {
    const llm = await fakeClient('anthropic', fake, { maxRetries: 2 });
    fake.push(
      { status: 429, headers: { 'retry-after-ms': '5' } },
      { status: 429, headers: { 'retry-after-ms': '5' } },
      { status: 429, headers: { 'retry-after-ms': '5' } },
    );
    const error = await failure(llm.generateJson(ask));
    expect(error.code).toBe('LLM_RATE_LIMITED');
    expect(error.details).toMatchObject({ attempts: 3, status: 429 });
    expect(fake.requests).toHaveLength(3);
  });

  it('retries server errors with exponential backoff', async () => {
    const events: string[] = [];
    const llm = await fakeClient('google', fake, {}, { onEvent: (e) => events.push(e.type) });
    fake.push({ status: 503, message: 'overloaded' }, { status: 500 }, { json: { answer: 'ok' } });
    const reply = await llm.generateJson(ask);
    expect(reply.retries).toBe(2);
    expect(events).toEqual(['retry', 'retry', 'call']);
  });

  it('maps no answer to LLM_TIMEOUT after the retries', async () => {
    const log = new ExecutionLog('test');
    const llm = await fakeClient('openai-compatible', fake, { timeoutMs: 300, maxRetries: 1 }, { log });
    fake.push({ hang: true }, { hang: true });
    const started = performance.now();
    const error = await failure(llm.generateJson(ask));
    expect(error.code).toBe('LLM_TIMEOUT');
    expect(error.message).toContain('300 ms');
    expect(fake.requests).toHaveLength(2);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(log.llmCalls[0]).toMatchObject({ retries: 1, tokensIn: 0 });
    expect(log.llmCalls[0]?.rawResponse).toContain('LLM_TIMEOUT');
  });

  it('maps an unknown model (404) and an unreachable endpoint to LLM_PROVIDER_ERROR', async () => {
    const llm = await fakeClient('openai', fake, { maxRetries: 0 });
    fake.push({ status: 404, message: 'The model `gpt-x` does not exist' });
    const notFound = await failure(llm.generateJson(ask));
    expect(notFound.code).toBe('LLM_PROVIDER_ERROR');
    expect(notFound.issues[0]?.hint).toContain('--model');

    const closed = await startFakeProvider();
    const url = closed.url;
    await closed.close();
    const config = resolveLlmConfig({
      flags: { provider: 'openai-compatible', model: 'm', baseUrl: `${url}/v1`, maxRetries: 1 },
      env: {},
      configFile: false,
    });
    const offline = await createLlmClient(config, { env: {}, retryBaseMs: 5 });
    const error = await failure(offline.generateJson(ask));
    expect(error.code).toBe('LLM_PROVIDER_ERROR');
    expect(error.message).toContain('cannot reach');
    expect(error.issues[0]?.hint).toContain('--base-url');
  });

  it('returns malformed JSON as a parse failure (for the repair loop), and detects prose refusals', async () => {
    const llm = await fakeClient('openai', fake);
    fake.push({ text: '{"answer": ', finish: 'length' });
    const reply = await llm.generateJson(ask);
    expect(reply.json.ok).toBe(false);
    if (!reply.json.ok) expect(reply.json.error).toContain('cut off');
    fake.push({ text: "I'm sorry, but I can't help with that request." });
    expect((await failure(llm.generateJson(ask))).code).toBe('LLM_REFUSED');
  });

  it('stops at once when the caller aborts', async () => {
    const llm = await fakeClient('anthropic', fake);
    fake.push({ hang: true });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('cancelled by the user')), 100);
    await expect(llm.generateJson({ ...ask, signal: controller.signal })).rejects.toThrow(
      'cancelled by the user',
    );
  });

  it('sends no Authorization header to an OpenAI-compatible server without a key', async () => {
    const open = await startFakeProvider({ script: [{ json: { answer: 'local' } }] });
    try {
      const config = resolveLlmConfig({
        flags: { provider: 'openai-compatible', model: 'llama3.1', baseUrl: `${open.url}/v1` },
        env: {},
        configFile: false,
      });
      const llm = await createLlmClient(config, { env: {} });
      expect((await llm.generateJson(ask)).json).toEqual({ ok: true, value: { answer: 'local' } });
      expect(open.requests[0]!.headers.authorization).toBeUndefined();
    } finally {
      await open.close();
    }
  });

  it('redacts secret-looking values in the execution log', async () => {
    const log = new ExecutionLog('test');
    const llm = await fakeClient('openai', fake, {}, { log });
    fake.push({ json: { answer: 'use sk-ant-api03-abcdefghijklmnopqrstuvwxyz' } });
    await llm.generateJson({
      ...ask,
      messages: [{ role: 'user', content: 'key ghp_abcdefghijklmnopqrstuvwxyz0123456789' }],
    });
    expect(log.llmCalls[0]?.rawResponse).toContain('[REDACTED API secret key]');
    expect(log.llmCalls[0]?.userPrompt).toContain('[REDACTED GitHub token]');
    expect(JSON.stringify(log.toJSON())).not.toMatch(/sk-ant-api03|ghp_abc/);
  });

  it('logs a repeated system prompt once', async () => {
    const log = new ExecutionLog('test');
    const llm = await fakeClient('openai', fake, {}, { log });
    fake.push({ json: { answer: 'a' } }, { json: { answer: 'b' } });
    await llm.generateJson(ask);
    await llm.generateJson(ask);
    expect(log.llmCalls[0]?.systemPrompt).toBe('You answer in JSON.');
    expect(log.llmCalls[1]?.systemPrompt).toContain('same system prompt as LLM call 1');
  });
});

describe('helpers', () => {
  it('reads Retry-After in seconds, milliseconds and as an HTTP date', () => {
    expect(parseRetryAfter({ 'retry-after': '2' })).toBe(2000);
    expect(parseRetryAfter({ 'Retry-After-Ms': '150' })).toBe(150);
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter({ 'retry-after': 'Wed, 01 Jan 2025 00:00:30 GMT' }, now)).toBe(30_000);
    expect(parseRetryAfter({})).toBeUndefined();
  });

  it('estimates cost from the price table (longest prefix), nothing for unknown models', () => {
    expect(estimateCostUsd('claude-sonnet-4-5', 1_000_000, 1_000_000)).toBe(18);
    expect(priceOf('gpt-4.1-mini-2025-04-14')).toEqual({ inputPerMTok: 0.4, outputPerMTok: 1.6 });
    expect(priceOf('models/gemini-2.5-flash')).toEqual({ inputPerMTok: 0.3, outputPerMTok: 2.5 });
    expect(estimateCostUsd('qwen2.5-coder:32b', 1000, 1000)).toBeUndefined();
  });

  it('reads JSON leniently and recognises prose refusals', () => {
    expect(parseJsonAnswer('```json\n{"a":1}\n```')).toEqual({ ok: true, value: { a: 1 } });
    expect(parseJsonAnswer('Sure! {"a":1} Done.')).toEqual({ ok: true, value: { a: 1 } });
    expect(parseJsonAnswer('{"a":').ok).toBe(false);
    expect(parseJsonAnswer('  ').ok).toBe(false);
    expect(looksLikeRefusal("I can't do that.")).toBe(true);
    expect(looksLikeRefusal('Here: {"a":1}')).toBe(false);
  });

  it('redacts secrets but keeps the shape of URLs', () => {
    const r = redactSecrets(
      'db postgres://app:hunter2hunter2@db:5432/x and Bearer abcdefghijklmnopqrstuvwxyz123456',
    );
    expect(r.text).toBe('db postgres://app:[REDACTED]@db:5432/x and Bearer [REDACTED]');
    expect(r.found).toEqual(['password in a URL', 'bearer token']);
  });
});
