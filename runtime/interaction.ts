/**
 * `ctx.elicit` and `ctx.sample` for code tools: ask the user (elicitation) or the client's model (sampling)
 * mid-call. 2025-11-25: a server→client request on the session (HTTP clients that initialized, or stdio).
 * 2026-07-28 is stateless, so a call that asks ends with an input-required result; the client answers and
 * retries, and the handler runs again from the start: this time the same ask returns the answer. Answers of
 * earlier rounds travel in requestState, sealed with an HMAC (SEP-2322: state that fails verification is refused,
 * so a client cannot pre-fill the answers of rounds it was never asked). The key is MCP_REQUEST_STATE_SECRET
 * (the same on every replica behind a load balancer) or random per process. Consequence for authors: ask
 * before doing anything with effects.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { type CallToolResult, inputRequired } from '@modelcontextprotocol/server';
import { ToolError } from './errors.js';

/** At most this many asks per call (a loop that keeps asking would never finish). */
const MAX_ASKS = 10;
/** requestState is echoed by the client on each round: keep it small. */
const MAX_STATE_CHARS = 64 * 1024;

export interface ElicitAnswer {
  action: 'accept' | 'decline' | 'cancel';
  content?: Record<string, unknown> | undefined;
}

export interface SampleAnswer {
  role: string;
  content: unknown;
  model?: string;
  stopReason?: string;
  /** The text of a text answer ('' otherwise). */
  text: string;
}

export type SampleMessages = string | Array<{ role: 'user' | 'assistant'; content: unknown }>;

export interface InteractionRequest {
  envelope?: Record<string, unknown> | undefined;
  inputResponses?: Record<string, unknown> | undefined;
  requestState?: (() => unknown) | undefined;
  elicitInput?: (params: never) => Promise<unknown>;
  requestSampling?: (params: never) => Promise<unknown>;
}

/** Thrown by an ask that has no answer yet on 2026-07-28; toolHandler turns it into the input-required result. */
export class InputNeeded extends Error {
  constructor(readonly result: CallToolResult) {
    super('input required');
  }
}

export interface Interaction {
  elicit(message: string, requestedSchema: Record<string, unknown>): Promise<ElicitAnswer>;
  sample(
    messages: SampleMessages,
    options?: { maxTokens?: number; systemPrompt?: string },
  ): Promise<SampleAnswer>;
}

export function createInteraction(request: InteractionRequest | undefined): Interaction {
  const modern = request?.envelope !== undefined;
  // Read on the first ask (inside the tool's error handling): a tampered state fails the call.
  let answers: Record<string, unknown> | undefined;
  let asked = 0;

  const ask = async (kind: 'elicit' | 'sample', params: Record<string, unknown>): Promise<unknown> => {
    answers ??= {
      ...(modern ? decodeState(request?.requestState?.()) : {}),
      ...(request?.inputResponses ?? {}),
    };
    if (++asked > MAX_ASKS) throw new ToolError(`a tool call may ask at most ${MAX_ASKS} times`);
    if (!modern) {
      const send = kind === 'elicit' ? request?.elicitInput : request?.requestSampling;
      if (!send) throw new ToolError('this client cannot be asked (no session or no client support)');
      try {
        return await send(params as never);
      } catch (error) {
        throw new ToolError(`the client could not be asked: ${(error as Error).message}`);
      }
    }
    const key = `mcp-factory/ask/${asked}`;
    if (key in answers) return answers[key];
    const caps = request?.envelope?.['io.modelcontextprotocol/clientCapabilities'] as
      | Record<string, unknown>
      | undefined;
    const capability = kind === 'elicit' ? 'elicitation' : 'sampling';
    if (!caps?.[capability]) throw new ToolError(`this client does not support ${capability}`);
    const state = sealState(JSON.stringify(answers));
    if (state.length > MAX_STATE_CHARS)
      throw new ToolError('the answers of this call are too large to carry on');
    const input =
      kind === 'elicit'
        ? inputRequired.elicit(params as never)
        : inputRequired.createMessage(params as never);
    throw new InputNeeded(
      inputRequired({ inputRequests: { [key]: input }, requestState: state }) as unknown as CallToolResult,
    );
  };

  return {
    async elicit(message, requestedSchema) {
      const r = (await ask('elicit', { mode: 'form', message, requestedSchema })) as Partial<ElicitAnswer>;
      const action = r?.action === 'accept' || r?.action === 'decline' ? r.action : 'cancel';
      return action === 'accept' ? { action, content: r.content ?? {} } : { action };
    },
    async sample(messages, options = {}) {
      const list =
        typeof messages === 'string'
          ? [{ role: 'user' as const, content: { type: 'text', text: messages } }]
          : messages;
      const r = (await ask('sample', {
        messages: list,
        maxTokens: options.maxTokens ?? 1000,
        ...(options.systemPrompt ? { systemPrompt: options.systemPrompt } : {}),
      })) as Omit<SampleAnswer, 'text'> | undefined;
      const content = r?.content as { type?: string; text?: string } | undefined;
      return {
        role: r?.role ?? 'assistant',
        content: r?.content,
        ...(r?.model ? { model: r.model } : {}),
        ...(r?.stopReason ? { stopReason: r.stopReason } : {}),
        text: content?.type === 'text' ? (content.text ?? '') : '',
      };
    },
  };
}

const stateKey = process.env.MCP_REQUEST_STATE_SECRET
  ? Buffer.from(process.env.MCP_REQUEST_STATE_SECRET)
  : randomBytes(32);
const mac = (payload: string) =>
  createHmac('sha256', stateKey).update('mcp-factory/request-state\0').update(payload).digest();

export function sealState(json: string): string {
  const payload = Buffer.from(json).toString('base64url');
  return `${payload}.${mac(payload).toString('base64url')}`;
}

/**
 * McpServer's `requestState.verify` hook: a changed or forged state is refused by the protocol layer with a
 * JSON-RPC error before any handler runs (SEP-2322). Resolves with the wire string, which decodeState reads.
 */
export function verifyRequestState(state: string): string {
  decodeState(state);
  return state;
}

/**
 * The answers a sealed requestState carries; {} when there is none. Throws (a tool error: the call did not run)
 * when the state was changed, forged, or sealed by another key.
 */
export function decodeState(raw: unknown): Record<string, unknown> {
  if (raw === undefined || raw === null || raw === '') return {};
  const tampered = () =>
    new ToolError('the request state failed its integrity check; start the call again without it');
  if (typeof raw !== 'string' || raw.length > MAX_STATE_CHARS) throw tampered();
  const [payload, tag, extra] = raw.split('.');
  if (!payload || !tag || extra !== undefined) throw tampered();
  const expected = mac(payload);
  const given = Buffer.from(tag, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw tampered();
  try {
    const value: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}
