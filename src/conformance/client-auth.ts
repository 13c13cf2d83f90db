/**
 * The factory's OAuth service client (src/platform/mcp-client/oauth.ts) as a client under test for the official
 * conformance suite's `auth/*` client scenarios:
 *
 *   conformance client --command "node dist/conformance/client-auth.js" --scenario auth/client-credentials-basic
 *
 * The suite appends the server URL and gives the scenario's credentials (client_id, client_secret) in
 * MCP_CONFORMANCE_CONTEXT. The client connects with client credentials, lists the tools and exits 0; any failure
 * exits 1 with the reason on stderr.
 *
 * The suite names no issuer out of band, so this client takes the first authorization server that the server's
 * protected-resource metadata names as the configured issuer (a deployment configures it from its spec). It is a
 * service client: scenarios that need a user agent (authorization code, dynamic registration, CIMD) are out of
 * its scope.
 */
import { pathToFileURL } from 'node:url';
import {
  discoverOAuthProtectedResourceMetadata,
  extractWWWAuthenticateParams,
} from '@modelcontextprotocol/client';
import { connectMcp } from '../platform/mcp-client/client.js';
import { clientCredentialsAuth } from '../platform/mcp-client/oauth.js';

const TIMEOUT_MS = 10_000;

/** The authorization server the server names: from the 401's resource_metadata, else the well-known URL. */
async function namedIssuer(serverUrl: string): Promise<string | undefined> {
  const challenge = await fetch(serverUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: '{"jsonrpc":"2.0","id":0,"method":"ping"}',
    redirect: 'error',
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  await challenge.body?.cancel();
  const { resourceMetadataUrl } = extractWWWAuthenticateParams(challenge);
  const prm = await discoverOAuthProtectedResourceMetadata(
    serverUrl,
    resourceMetadataUrl ? { resourceMetadataUrl } : {},
  );
  return prm.authorization_servers?.[0];
}

export async function main(argv = process.argv.slice(2)): Promise<number> {
  const serverUrl = argv.at(-1);
  if (!serverUrl) {
    console.error('usage: client-auth <server-url>');
    return 2;
  }
  const context = JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT || '{}') as {
    client_id?: string;
    client_secret?: string;
  };
  try {
    const issuer = await namedIssuer(serverUrl);
    const auth = clientCredentialsAuth({
      endpoint: serverUrl,
      issuer,
      clientId: context.client_id ?? 'mcp-factory',
      clientSecret: context.client_secret ?? 'no-secret-given',
    });
    const client = await connectMcp(serverUrl, { headers: auth, timeoutMs: TIMEOUT_MS, name: 'mcp-factory' });
    try {
      const { tools } = await client.listTools();
      console.error(`[client-auth] connected; ${tools.length} tool(s)`);
    } finally {
      await client.close().catch(() => undefined);
    }
    return 0;
  } catch (error) {
    console.error(`[client-auth] ${(error as Error).message ?? String(error)}`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
