#!/usr/bin/env node
// The added CPU of OAuth per request in a generated server (issue 15 target: < 0.1 ms with cached keys).
// Bundles runtime/oauth.ts as a generated server does, serves a JWKS on 127.0.0.1, then measures
// guard.authenticate() on a valid RS256 and ES256 token against the static bearer check of `auth: bearer` (one
// SHA-256 + timingSafeEqual) measured in the same run.
//
//   node bench/oauth.mjs [--requests 5000]

import { createHash, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '5000' } } });
const N = Number(values.requests);

const dir = mkdtempSync(join(tmpdir(), 'mcpf-bench-oauth-'));
try {
  await build({
    entryPoints: [new URL('../runtime/oauth.ts', import.meta.url).pathname],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: join(dir, 'oauth.mjs'),
    logLevel: 'error',
  });
  const { createOAuthGuard } = await import(pathToFileURL(join(dir, 'oauth.mjs')).href);

  const rs = await generateKeyPair('RS256');
  const es = await generateKeyPair('ES256');
  const keys = [
    { ...(await exportJWK(rs.publicKey)), kid: 'rs', alg: 'RS256' },
    { ...(await exportJWK(es.publicKey)), kid: 'es', alg: 'ES256' },
  ];
  const server = http.createServer((req, res) => {
    const base = `http://127.0.0.1:${server.address().port}`;
    const body = req.url === '/jwks' ? { keys } : { issuer: base, jwks_uri: `${base}/jwks` };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const resource = 'http://127.0.0.1/bench/mcp';
  const guard = createOAuthGuard(
    {
      name: 'bench',
      http: { host: '127.0.0.1', port: 0, path: '/mcp', allowedHosts: [], allowedOrigins: [] },
      auth: { type: 'oauth', issuer, resource, requiredScopes: ['mcp'] },
    },
    { env: {} },
  );
  const now = Math.floor(Date.now() / 1000);
  const claims = { sub: 'bench', scope: 'mcp', iss: issuer, aud: resource, iat: now, exp: now + 3600 };
  const tokens = {
    RS256: await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'rs' }).sign(rs.privateKey),
    ES256: await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'es' }).sign(es.privateKey),
  };
  const request = (token) =>
    new Request('http://127.0.0.1/mcp', { method: 'POST', headers: { authorization: `Bearer ${token}` } });

  // Baseline: the static bearer check (auth: bearer), per request.
  const secret = 'x'.repeat(32);
  const digest = createHash('sha256').update(secret).digest();
  const cpu = async (fn) => {
    for (let i = 0; i < 200; i++) await fn(); // warm-up (and the one JWKS fetch)
    const start = process.cpuUsage();
    for (let i = 0; i < N; i++) await fn();
    const used = process.cpuUsage(start);
    return (used.user + used.system) / N / 1000; // ms per request
  };
  const baseline = await cpu(async () => {
    const req = request(secret);
    const given = /^Bearer\s+(.+)$/i.exec(req.headers.get('authorization') ?? '')?.[1] ?? '';
    return timingSafeEqual(createHash('sha256').update(given).digest(), digest);
  });
  console.log(`static bearer check: ${(baseline * 1000).toFixed(1)} µs CPU per request (baseline)`);
  for (const [alg, token] of Object.entries(tokens)) {
    const ms = await cpu(async () => {
      const verdict = await guard.authenticate(request(token));
      if (!verdict.ok) throw new Error(`token refused: ${verdict.reason}`);
    });
    console.log(
      `oauth ${alg}: ${(ms * 1000).toFixed(1)} µs CPU per request = ${(ms / baseline).toFixed(1)}× baseline, ` +
        `added ${((ms - baseline) * 1000).toFixed(1)} µs (target < 100 µs: ${ms - baseline < 0.1 ? 'met' : 'MISSED'})`,
    );
  }
  // A token seen for the first time: the signature check itself (each distinct token is verified once).
  const fresh = [];
  for (let i = 0; i < 300; i++)
    fresh.push(
      await new SignJWT({ ...claims, jti: `t${i}` })
        .setProtectedHeader({ alg: 'RS256', kid: 'rs' })
        .sign(rs.privateKey),
    );
  const start = process.cpuUsage();
  for (const token of fresh) if (!(await guard.authenticate(request(token))).ok) throw new Error('refused');
  const used = process.cpuUsage(start);
  console.log(
    `oauth RS256, first request of a token: ${((used.user + used.system) / fresh.length).toFixed(1)} µs CPU`,
  );
  server.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
