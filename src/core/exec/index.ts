/** Command execution shared by generated servers (copied as src/runtime/exec/) and the host agent. */
export * from './agent-protocol.js';
export * from './argv.js';
export * from './backends.js';
