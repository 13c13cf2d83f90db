/**
 * The toolsmith of a factory home, as the CLI, the HTTP API and the factory's MCP server make it: the policy
 * file in force (MCP_FACTORY_TOOLSMITH_POLICY, else <home>/toolsmith/policy.yaml, else defaults) and the
 * model of the LLM configuration layers (flags, MCP_FACTORY_LLM_* variables, the config file), checked when a
 * question is asked — so a factory without a model still serves runs, reviews and promoted tools.
 */
import { join } from 'node:path';
import { createLlmClient, type LlmClientOptions } from '../llm/client.js';
import { type LlmSettings, resolveApiKey, resolveLlmConfig } from '../llm/config.js';
import { loadConfig } from '../platform/config.js';
import type { HomeLayout } from '../platform/home.js';
import type { Registry } from '../store/index.js';
import { loadPolicy } from './policy.js';
import { Toolsmith, type ToolsmithOptions } from './service.js';

export interface OpenToolsmithOptions {
  registry: Registry;
  layout: HomeLayout;
  env?: Record<string, string | undefined>;
  llmSettings?: LlmSettings;
  configFile?: string | false;
  clientOptions?: Omit<LlmClientOptions, 'env'>;
  onCheckpoint?: ToolsmithOptions['onCheckpoint'];
}

export function openToolsmith(options: OpenToolsmithOptions): Toolsmith {
  const env = options.env ?? process.env;
  const settings = loadConfig(env as NodeJS.ProcessEnv).toolsmith;
  const policy = loadPolicy(settings.policyFile, join(options.layout.home, 'toolsmith', 'policy.yaml'));
  const config = () =>
    resolveLlmConfig({
      ...(options.llmSettings ? { flags: options.llmSettings } : {}),
      env,
      ...(options.configFile !== undefined ? { configFile: options.configFile } : {}),
    });
  return new Toolsmith({
    registry: options.registry,
    layout: options.layout,
    policy,
    // The key too: a run must not be created for a model that cannot be asked.
    checkModel: () => void resolveApiKey(config(), env),
    llm: () => createLlmClient(config(), { ...(options.clientOptions ?? {}), env }),
    leaseMs: settings.leaseMs,
    ...(options.onCheckpoint ? { onCheckpoint: options.onCheckpoint } : {}),
  });
}
