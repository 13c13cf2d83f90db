/** An error whose message is safe and useful to show to the MCP client as an `isError` result. */
export class ToolError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ToolError';
  }
}

/** A tool error that also carries the tool's structured result (a command that exited non-zero). */
export class ToolFailure extends ToolError {
  constructor(
    message: string,
    readonly structured: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ToolFailure';
  }
}

export function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new ToolError(`environment variable ${name} is not set; set it where the server runs`);
  }
  return value;
}
