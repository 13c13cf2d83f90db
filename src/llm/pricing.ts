/**
 * A small price table for the execution log's cost estimate (USD per million tokens, list prices without
 * caching or batch discounts, as published by the providers in 2025). Estimates only: unknown models and local
 * servers get no estimate rather than a wrong one. Longest matching prefix wins.
 */
export interface ModelPrice {
  inputPerMTok: number;
  outputPerMTok: number;
}

export const PRICE_TABLE: Readonly<Record<string, ModelPrice>> = Object.freeze({
  // Anthropic
  'claude-opus-4-5': { inputPerMTok: 5, outputPerMTok: 25 },
  'claude-opus-4': { inputPerMTok: 15, outputPerMTok: 75 },
  'claude-sonnet-4': { inputPerMTok: 3, outputPerMTok: 15 },
  'claude-3-7-sonnet': { inputPerMTok: 3, outputPerMTok: 15 },
  'claude-3-5-sonnet': { inputPerMTok: 3, outputPerMTok: 15 },
  'claude-haiku-4-5': { inputPerMTok: 1, outputPerMTok: 5 },
  'claude-3-5-haiku': { inputPerMTok: 0.8, outputPerMTok: 4 },
  // OpenAI
  'gpt-5-nano': { inputPerMTok: 0.05, outputPerMTok: 0.4 },
  'gpt-5-mini': { inputPerMTok: 0.25, outputPerMTok: 2 },
  'gpt-5': { inputPerMTok: 1.25, outputPerMTok: 10 },
  'gpt-4.1-nano': { inputPerMTok: 0.1, outputPerMTok: 0.4 },
  'gpt-4.1-mini': { inputPerMTok: 0.4, outputPerMTok: 1.6 },
  'gpt-4.1': { inputPerMTok: 2, outputPerMTok: 8 },
  'gpt-4o-mini': { inputPerMTok: 0.15, outputPerMTok: 0.6 },
  'gpt-4o': { inputPerMTok: 2.5, outputPerMTok: 10 },
  'o4-mini': { inputPerMTok: 1.1, outputPerMTok: 4.4 },
  o3: { inputPerMTok: 2, outputPerMTok: 8 },
  // Google
  'gemini-2.5-pro': { inputPerMTok: 1.25, outputPerMTok: 10 },
  'gemini-2.5-flash-lite': { inputPerMTok: 0.1, outputPerMTok: 0.4 },
  'gemini-2.5-flash': { inputPerMTok: 0.3, outputPerMTok: 2.5 },
  'gemini-2.0-flash': { inputPerMTok: 0.1, outputPerMTok: 0.4 },
});

/** The price of a model id (provider prefixes such as `models/` or `anthropic/` are ignored). */
export function priceOf(
  model: string,
  table: Readonly<Record<string, ModelPrice>> = PRICE_TABLE,
): ModelPrice | undefined {
  const id = model
    .toLowerCase()
    .replace(/^models\//, '')
    .replace(/^[a-z-]+\//, '');
  let best: string | undefined;
  for (const prefix of Object.keys(table)) {
    if (id.startsWith(prefix) && (!best || prefix.length > best.length)) best = prefix;
  }
  return best ? table[best] : undefined;
}

/** Estimated cost in USD, rounded to 1/1000 of a cent; undefined for unknown (or local) models. */
export function estimateCostUsd(
  model: string,
  tokensIn: number,
  tokensOut: number,
  table?: Readonly<Record<string, ModelPrice>>,
): number | undefined {
  const price = priceOf(model, table);
  if (!price) return undefined;
  const usd = (tokensIn * price.inputPerMTok + tokensOut * price.outputPerMTok) / 1_000_000;
  return Math.round(usd * 100_000) / 100_000;
}
