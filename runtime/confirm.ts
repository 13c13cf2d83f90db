/**
 * `confirm` on a tool: the user approves each call before it runs. 2026-07-28: an input-required result asks
 * the client to elicit, and the retried call carries the answer (inputResponses). 2025-11-25: an
 * elicitation/create request on the session. Nothing runs unless the user accepted.
 *
 * The retried 2026 call is not bound to a signed request state: the answer comes from the client either way
 * (a 2025 client answers elicitation/create just as freely), so a signature would prove nothing about the user.
 * `confirm` protects honest clients and their users from unintended calls; it is not an authorization barrier
 * (use auth scopes for that).
 */
import {
  type CallToolResult,
  CLIENT_CAPABILITIES_META_KEY,
  inputRequired,
  PROTOCOL_VERSION_META_KEY,
} from '@modelcontextprotocol/server';
import { decodeState } from './interaction.js';

/** The inputResponses key of the confirmation (one per call; the retry carries the answer under it). */
export const CONFIRM_KEY = 'mcp-factory/confirm';

const SCHEMA = {
  type: 'object' as const,
  properties: { confirm: { type: 'boolean' as const, title: 'Run it', default: true } },
};

export interface ConfirmContext {
  /** 2026-07-28 only: the per-request envelope (protocol version, client capabilities). */
  envelope?: Record<string, unknown> | undefined;
  inputResponses?: Record<string, unknown> | undefined;
  requestState?: (() => unknown) | undefined;
  elicitInput?: (params: {
    mode?: 'form';
    message: string;
    requestedSchema: typeof SCHEMA;
  }) => Promise<{ action: string; content?: Record<string, unknown> | undefined }>;
}

/** `{{param}}` → the argument's value (JSON for non-strings), each at most 200 characters. */
export function confirmMessage(template: true | string, tool: string, args: Record<string, unknown>): string {
  if (template === true) return `Run ${tool} with ${clip(JSON.stringify(args), 500)}?`;
  return template.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_, name: string) => {
    const value = args[name];
    return clip(typeof value === 'string' ? value : (JSON.stringify(value) ?? ''), 200);
  });
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

const refused = (text: string): CallToolResult => ({ isError: true, content: [{ type: 'text', text }] });

function accepted(answer: { action?: unknown; content?: unknown } | undefined): boolean {
  const content = answer?.content as { confirm?: unknown } | undefined;
  return answer?.action === 'accept' && content?.confirm !== false;
}

/**
 * Undefined: the user accepted, run the tool. Otherwise the result to return instead (an input-required round,
 * or an error that says the tool did not run). A client that cannot be asked is refused rather than run
 * unconfirmed: the spec author asked for a human decision, and silently skipping it would defeat `confirm`.
 */
export async function confirmGate(
  template: true | string,
  tool: string,
  args: Record<string, unknown>,
  request: ConfirmContext | undefined,
): Promise<CallToolResult | undefined> {
  const message = confirmMessage(template, tool, args);
  const meta = request?.envelope;
  if (meta?.[PROTOCOL_VERSION_META_KEY] !== undefined) {
    // A code tool's later ask rounds carry earlier answers (this one included) in requestState.
    let answer: { action?: unknown } | undefined;
    try {
      answer = (request?.inputResponses?.[CONFIRM_KEY] ??
        decodeState(request?.requestState?.())[CONFIRM_KEY]) as { action?: unknown } | undefined;
    } catch (error) {
      return refused(`${(error as Error).message}; ${tool} did not run`);
    }
    if (answer)
      return accepted(answer) ? undefined : refused(`${tool} was not confirmed by the user; it did not run`);
    const caps = meta[CLIENT_CAPABILITIES_META_KEY] as { elicitation?: unknown } | undefined;
    if (!caps?.elicitation) return refused(cannotAsk(tool));
    return inputRequired({
      inputRequests: { [CONFIRM_KEY]: inputRequired.elicit({ message, requestedSchema: SCHEMA }) },
    }) as unknown as CallToolResult;
  }
  if (!request?.elicitInput) return refused(cannotAsk(tool));
  let answer: { action?: unknown; content?: unknown };
  try {
    answer = await request.elicitInput({ mode: 'form', message, requestedSchema: SCHEMA });
  } catch {
    // No elicitation capability, no session (stateless HTTP), or the client failed to answer.
    return refused(cannotAsk(tool));
  }
  return accepted(answer) ? undefined : refused(`${tool} was not confirmed by the user; it did not run`);
}

function cannotAsk(tool: string): string {
  return `${tool} needs the user's confirmation, but this client cannot be asked (no elicitation support, or a 2025 HTTP client without a session); it did not run`;
}
