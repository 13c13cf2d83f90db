/**
 * Every user-facing error code MCP Factory can report, with its meaning, a default hint and the HTTP status the
 * API answers it with. docs/errors.md is generated from this table; test/errors.test.ts keeps the two in sync.
 */

/** One error code: `user` errors are problems in the input, `internal` ones bugs; `status` is 400–599. */
export interface ErrorCodeEntry {
  kind: 'user' | 'internal';
  status: number;
  summary: string;
  hint: string;
}

export const ERROR_CODES = {
  SPEC_READ_FAILED: {
    kind: 'user',
    status: 422,
    summary: 'The spec file could not be read.',
    hint: 'Check the path and that the file is readable.',
  },
  SPEC_TOO_LARGE: {
    kind: 'user',
    status: 413,
    summary: 'The spec document is larger than the accepted maximum.',
    hint: 'Split the server into several specs, or move large texts into resources served from files.',
  },
  SPEC_SYNTAX: {
    kind: 'user',
    status: 422,
    summary: 'The document is not valid YAML or JSON.',
    hint: 'Fix the syntax at the reported line and column.',
  },
  SPEC_NOT_OBJECT: {
    kind: 'user',
    status: 422,
    summary: 'The document root must be a mapping (an object).',
    hint: 'Start the spec with `name:`, `version:` and `tools:` keys.',
  },
  SPEC_UNKNOWN_FIELD: {
    kind: 'user',
    status: 422,
    summary: 'A field is not part of the spec model.',
    hint: 'Remove the field or fix its spelling; see schema/mcp-spec.schema.json for the allowed fields.',
  },
  SPEC_INVALID_TYPE: {
    kind: 'user',
    status: 422,
    summary: 'A value has the wrong type.',
    hint: 'Use the type named in the message.',
  },
  SPEC_INVALID_VALUE: {
    kind: 'user',
    status: 422,
    summary: 'A value is not allowed here.',
    hint: 'Use one of the allowed values or formats named in the message.',
  },
  SPEC_MISSING_FIELD: {
    kind: 'user',
    status: 422,
    summary: 'A required field is missing.',
    hint: 'Add the field named in the message.',
  },
  SPEC_INVALID_NAME: {
    kind: 'user',
    status: 422,
    summary: 'A name does not match the allowed pattern.',
    hint: 'Tool, resource and prompt names use 1-128 characters of A-Z a-z 0-9 _ . - ; server names are lower-case.',
  },
  SPEC_DUPLICATE_NAME: {
    kind: 'user',
    status: 422,
    summary: 'Two items share one name.',
    hint: 'Rename one of them; names must be unique within tools, resources, prompts and connections.',
  },
  SPEC_UNDEFINED_REFERENCE: {
    kind: 'user',
    status: 422,
    summary: 'A reference points to something that is not defined.',
    hint: 'Define the referenced connection, tool or parameter, or fix the reference.',
  },
  SPEC_PATH_OUTSIDE: {
    kind: 'user',
    status: 422,
    summary:
      "A file the spec names (a SQLite `path`) is outside the spec's folder, after following symlinks.",
    hint: "Copy the file into the spec's folder (or a subfolder) and point `path` there; pass --allow-outside-paths only for a spec you trust.",
  },
  SPEC_ASSET_INVALID: {
    kind: 'user',
    status: 422,
    summary:
      'A file the spec names with `file:` is not a readable regular file (a directory, FIFO or device).',
    hint: "Point `file:` at a regular file inside the spec's folder.",
  },
  SPEC_ASSET_TOO_LARGE: {
    kind: 'user',
    status: 413,
    summary: 'A file the spec names with `file:` is over 10 MB, or all of them together over 50 MB.',
    hint: 'Ship smaller files, or serve large data from a database or an HTTP API.',
  },
  SPEC_NOT_SQLITE: {
    kind: 'user',
    status: 422,
    summary: 'The file named as a SQLite database is not a regular SQLite 3 database file.',
    hint: 'Point `path` at a SQLite 3 database (its first bytes are "SQLite format 3"), or use `envVar` to give the location at run time.',
  },
  SPEC_LITERAL_SECRET: {
    kind: 'user',
    status: 422,
    summary: 'A secret is written literally in the spec.',
    hint: 'Put the secret in an environment variable and reference it, e.g. `envVar: API_TOKEN` or `{ env: API_TOKEN }`.',
  },
  SPEC_WRONG_CONNECTION_KIND: {
    kind: 'user',
    status: 422,
    summary: 'An implementation uses a connection of the wrong kind.',
    hint: 'sql implementations need a postgresql, mysql, mariadb or sqlite connection; http ones an http connection.',
  },
  SPEC_INVALID_TEMPLATE: {
    kind: 'user',
    status: 422,
    summary: 'A `{{…}}` template is malformed or names an unknown parameter.',
    hint: 'Use `{{param}}` with a declared parameter name.',
  },
  SPEC_INVALID_SQL: {
    kind: 'user',
    status: 422,
    summary: 'A SQL statement is unsafe or refers to unknown parameters.',
    hint: 'Use one statement with `:param` placeholders for every value; never build SQL from text.',
  },
  SPEC_INVALID_SCHEMA: {
    kind: 'user',
    status: 422,
    summary: 'A parameter or output schema is inconsistent.',
    hint: 'Check defaults against enum/min/max/pattern and the declared type.',
  },
  SPEC_INVALID_TRIGGER: {
    kind: 'user',
    status: 422,
    summary: 'A trigger declaration is invalid.',
    hint: 'Check the trigger type, its schedule/path and the tool it calls.',
  },
  SPEC_UNSAFE_CODE: {
    kind: 'user',
    status: 422,
    summary:
      'The body of a code tool is not one function body, or reaches code execution or the host (eval, Function, require, host built-ins, process, reflection, obfuscated names).',
    hint: 'Keep code tools to computation over args and ctx; use sql, http or static tools for data and services. The issue names the rule and the line in code.source.',
  },
  SPEC_UNSAFE_COMMAND: {
    kind: 'user',
    status: 422,
    summary:
      'A command tool could not be run safely: its program is a shell or launcher, or comes from a parameter without an allow-list, or is not on the allow-list.',
    hint: 'Run the program you need directly, list it in policy.allowedPrograms, and pass each argument as its own args element.',
  },
  HOST_AGENT_CONFIG_INVALID: {
    kind: 'user',
    status: 422,
    summary: 'The host agent’s policy file or key file could not be read or is not valid.',
    hint: 'Fix the file at the reported path (docs/commands.md, "Host agent", shows both formats).',
  },
  HOST_AGENT_KEY_EXPOSED: {
    kind: 'user',
    status: 422,
    summary: 'The host agent’s key file can be read by other users.',
    hint: 'Make it readable by its owner only: chmod 600 <key file>.',
  },
  DB_UNSUPPORTED_URL: {
    kind: 'user',
    status: 400,
    summary: 'The database URL names no supported database.',
    hint: 'Use postgres://, mysql://, mariadb://, sqlite:<path> or file:<path>.',
  },
  DB_IMPORT_HOST_NOT_ALLOWED: {
    kind: 'user',
    status: 403,
    summary: 'The API does not import from this database host (not in MCP_FACTORY_IMPORT_DB_HOSTS).',
    hint: 'Ask the operator to list the host in MCP_FACTORY_IMPORT_DB_HOSTS, or import with the CLI: mcp-factory create --db.',
  },
  DB_CONNECT_FAILED: {
    kind: 'user',
    status: 400,
    summary: 'The database importer could not connect to the database.',
    hint: 'Check that the database is running and that the URL, user and password are right.',
  },
  DB_INTROSPECTION_FAILED: {
    kind: 'user',
    status: 400,
    summary: 'The database importer could not read the schema.',
    hint: 'The user needs read access to the system catalog (information_schema / pg_catalog).',
  },
  DB_NOTHING_TO_IMPORT: {
    kind: 'user',
    status: 400,
    summary: 'No table or view matched the import filters.',
    hint: 'Check --schema/--table filters (names or globs) and that the user can see the tables.',
  },
  DB_PRIVILEGED_USER: {
    kind: 'user',
    status: 400,
    summary:
      'The imported connection may do more than read the imported tables (superuser, owner or wider grants).',
    hint: 'Run db/readonly-role.sql of the generated project (or create again with --create-role NAME) and give the server that role.',
  },
  DB_UNTRUSTED_TEXT: {
    kind: 'user',
    status: 400,
    summary: 'A table or column comment or name reads like instructions to a model, a link or markup.',
    hint: 'The comment was left out of the tool descriptions; rewrite it as a plain description of the data.',
  },
  DB_ROLE_FAILED: {
    kind: 'user',
    status: 400,
    summary: 'The least-privilege role could not be created.',
    hint: 'Connect as a user that may create roles and grant on the tables, and pick a role name that does not exist yet.',
  },
  TEMPLATE_NOT_FOUND: {
    kind: 'user',
    status: 404,
    summary: 'No template has that name.',
    hint: 'Use one of the template names listed in the message (the CLI lists them with their variables).',
  },
  TEMPLATE_INVALID_VARIABLE: {
    kind: 'user',
    status: 400,
    summary: 'A template variable is unknown, missing or has a value the template does not allow.',
    hint: 'Pass --set NAME=VALUE only for variables the template declares, with a value it allows; the message lists them.',
  },
  OUTPUT_EXISTS: {
    kind: 'user',
    status: 409,
    summary: 'The output directory already exists.',
    hint: 'Pass --force to replace it, or choose another --out directory.',
  },
  TYPECHECK_FAILED: {
    kind: 'user',
    status: 422,
    summary: 'The generated project does not type-check (usually a `code` tool body).',
    hint: 'Fix the TypeScript in the reported tool body; the message shows the compiler error.',
  },
  SECURITY_BLOCKED: {
    kind: 'user',
    status: 422,
    summary: 'The security scan found problems at or above the blocking threshold.',
    hint: 'Fix the findings listed, or pass --force to generate anyway.',
  },
  BUNDLE_FAILED: {
    kind: 'internal',
    status: 500,
    summary: 'esbuild could not bundle the generated server.',
    hint: 'This is a bug in MCP Factory unless a `code` tool imports a module that does not exist.',
  },
  GENERATED_TESTS_FAILED: {
    kind: 'user',
    status: 422,
    summary: 'The generated server failed its own tests.',
    hint: 'Read the failing tool and assertion in the report; fix the tool implementation or its example, or create without running them (--no-tests).',
  },
  SANDBOX_UNAVAILABLE: {
    kind: 'user',
    status: 503,
    summary:
      'No sandbox is available on this machine to run generated code (tests or a local server) confined.',
    hint: 'Install bubblewrap and util-linux (apt-get install bubblewrap util-linux) and allow user namespaces; or, on the command line only, pass --unsafe-no-sandbox to run it with your full user rights.',
  },
  DEPLOY_RUNTIME_UNAVAILABLE: {
    kind: 'user',
    status: 503,
    summary: 'The container runtime asked for (e.g. gVisor runsc) is not registered with the Docker engine.',
    hint: 'Install it (apt-get install runsc) and register it in /etc/docker/daemon.json ("runtimes": {"runsc": {"path": "/usr/bin/runsc"}}), restart dockerd, or deploy without --runtime.',
  },
  SERVER_START_FAILED: {
    kind: 'user',
    status: 502,
    summary: 'The generated server did not start or answer.',
    hint: 'Run it by hand (node dist/server.mjs) to see its log on stderr; check required environment variables.',
  },
  TOOL_NOT_FOUND: {
    kind: 'user',
    status: 404,
    summary: 'The server has no tool with that name.',
    hint: 'Run `mcp-factory test DIR --list` to see its tools.',
  },
  TOOL_CALL_FAILED: {
    kind: 'user',
    status: 502,
    summary: 'The tool call returned an error result.',
    hint: 'Read the error text; check the arguments against the tool input schema.',
  },
  REGISTRY_NOT_FOUND: {
    kind: 'user',
    status: 404,
    summary: 'The server, version or deployment is not in the registry.',
    hint: 'Check the server name, revision or deployment id; list what the registry holds to see the valid ones.',
  },
  REGISTRY_CONFLICT: {
    kind: 'user',
    status: 409,
    summary: 'The change conflicts with the current state of the registry.',
    hint: 'Read the current state again and retry; a removed server is revived by creating a new version of it.',
  },
  REGISTRY_INVALID: {
    kind: 'user',
    status: 400,
    summary: 'A value given to the registry is malformed.',
    hint: 'Use the format named in the message (server and tool names as in the spec, sha256 hex hashes, known states).',
  },
  REGISTRY_SECRET_VALUE: {
    kind: 'user',
    status: 400,
    summary: 'Something that looks like a secret value was given where the registry stores only references.',
    hint: 'Store the environment variable name and where its value comes from (e.g. `vault:kv/app#token`), never the value.',
  },
  REGISTRY_UNAVAILABLE: {
    kind: 'user',
    status: 503,
    summary: 'The registry database cannot be opened or reached, or stayed locked too long.',
    hint: 'Check that MCP_FACTORY_HOME is writable or the PostgreSQL URL is reachable, then retry.',
  },
  REGISTRY_INCOMPATIBLE: {
    kind: 'user',
    status: 500,
    summary: 'The registry database was written by a newer or different version of MCP Factory.',
    hint: 'Upgrade MCP Factory, or point MCP_FACTORY_HOME or the registry URL at another database.',
  },
  REGISTRY_CORRUPT: {
    kind: 'user',
    status: 500,
    summary: 'The registry file is not a SQLite database, or it is damaged (malformed).',
    hint: 'Run mcp-factory doctor to confirm; stop the supervisor (mcp-factory supervisor stop), move the damaged registry.db aside and copy your last backup (mcp-factory backup FILE) to registry.db.',
  },
  REGISTRY_REPLACED: {
    kind: 'user',
    status: 503,
    summary:
      'The registry file was deleted or replaced while this process had it open: it would write to a copy nobody else reads.',
    hint: 'Restart this process (mcp-factory supervisor stop, then start) so that it opens the current registry.db; run mcp-factory doctor to see which file each process holds.',
  },
  REGISTRY_HELD: {
    kind: 'user',
    status: 409,
    summary:
      'registry.db is missing or was replaced, but a running process still holds the previous file: opening now would split the factory in two.',
    hint: 'Stop the holder (mcp-factory supervisor stop; mcp-factory doctor names its pid), or restore your last backup by copying it beside registry.db and renaming it into place: a running supervisor follows it at its next pass.',
  },
  OPENAPI_LOAD_FAILED: {
    kind: 'user',
    status: 400,
    summary: 'The OpenAPI document could not be read or parsed.',
    hint: 'Check the path or URL, and that the document is one valid JSON or YAML document.',
  },
  OPENAPI_INVALID: {
    kind: 'user',
    status: 400,
    summary: 'The document is not a usable Swagger 2.0 or OpenAPI 3.0/3.1 document.',
    hint: 'Check the `openapi`/`swagger` version field and the document structure; import with validate: "warn" to continue past schema violations.',
  },
  OPENAPI_REMOTE_REF_REFUSED: {
    kind: 'user',
    status: 400,
    summary: 'A `$ref` points to a remote document and remote references are not allowed.',
    hint: 'Pass allowRemoteRefs: true only for documents you trust (the importer fetches those URLs), or bundle the references into one file.',
  },
  OPENAPI_FILE_REF_REFUSED: {
    kind: 'user',
    status: 400,
    summary: 'A `$ref` points to a local file outside the directory the references may read.',
    hint: 'Keep referenced files next to or below the root document, or pass refRoot with a wider directory.',
  },
  OPENAPI_NO_OPERATIONS: {
    kind: 'user',
    status: 400,
    summary: 'No operation of the OpenAPI document could be imported.',
    hint: 'Check the include/exclude options and the reason reported for each operation.',
  },
  OPENAPI_DEGRADED: {
    kind: 'user',
    status: 422,
    summary:
      'Strict import: some operations of the OpenAPI document were skipped or imported in a degraded form.',
    hint: 'Read the reason listed for each operation; fix the document, leave those operations out (--exclude-path, --exclude-tag, x-mcp: { exclude: true }), or import without --strict.',
  },
  OPENAPI_PRIVATE_BASE_URL: {
    kind: 'user',
    status: 400,
    summary:
      'A server URL or OAuth2 token URL of the document points at a loopback, link-local or private address: the generated server would send credentials there.',
    hint: 'If you trust the document and mean that address (a local API), import with allowPrivateBaseUrl: true (CLI: --allow-private-base-url); otherwise pass baseUrl with the public address.',
  },
  OPENAPI_INVALID_OPTION: {
    kind: 'user',
    status: 400,
    summary: 'An import option has a value the importer cannot use.',
    hint: 'Environment variable names are upper-case letters, digits and _ (not starting with a digit), e.g. credentialParams: { api_key: "ACME_API_KEY" }.',
  },
  API_UNAUTHORIZED: {
    kind: 'user',
    status: 401,
    summary: 'The request has no valid bearer token: it is missing, unknown or revoked.',
    hint: 'Send `Authorization: Bearer <token>`; create a token with `mcp-factory token create NAME` (the plaintext is shown once).',
  },
  API_FORBIDDEN_HOST: {
    kind: 'user',
    status: 403,
    summary: 'The Host or Origin header of the request is not allowed (DNS-rebinding protection).',
    hint: 'Call the API through localhost or 127.0.0.1, or allow the name with --allowed-host / --allowed-origin.',
  },
  API_FORBIDDEN: {
    kind: 'user',
    status: 403,
    summary: 'The access policy does not let this caller use the operation.',
    hint: 'Use a token that is allowed the permission named in the message, or ask an administrator to grant it.',
  },
  CSRF_FAILED: {
    kind: 'user',
    status: 403,
    summary:
      'A request authenticated by the console session cookie came from another origin or lacked the CSRF token.',
    hint: 'Send the x-csrf-token header with the value of the mcpf_csrf cookie from a page of this origin, or sign in to the console again.',
  },
  AUTH_INVALID_CREDENTIALS: {
    kind: 'user',
    status: 401,
    summary: 'Sign-in refused: the user name or the password is wrong, or the user is disabled.',
    hint: 'Check the name and password; an administrator can reset a password with `mcp-factory user passwd NAME`.',
  },
  AUTH_THROTTLED: {
    kind: 'user',
    status: 429,
    summary: 'Too many failed sign-ins for this user name: further attempts wait.',
    hint: 'Wait for the time given in Retry-After; each further failure doubles it (at most 15 minutes).',
  },
  AUTH_INVALID_REFRESH: {
    kind: 'user',
    status: 401,
    summary: 'The refresh token is unknown, used already (which ends its session), or its session ended.',
    hint: 'Sign in again with POST /auth/login.',
  },
  AUTH_OIDC_FAILED: {
    kind: 'user',
    status: 401,
    summary:
      'OIDC sign-in refused: the state is missing, expired, used or tampered with, the provider refused the code or its ID token, or no enabled factory user may sign in with that identity.',
    hint: 'Start again at GET /auth/oidc/start; if it keeps failing, check the MCP_FACTORY_OIDC_* settings (issuer, client id and secret, redirect URI registered at the provider) and that an administrator linked or allowed your identity.',
  },
  AUTH_WEAK_PASSWORD: {
    kind: 'user',
    status: 400,
    summary: 'The password is too short or too long.',
    hint: 'Use 10 to 256 characters; a passphrase of several words is easiest to remember.',
  },
  AUTH_ROLE_NOT_ALLOWED: {
    kind: 'user',
    status: 403,
    summary: 'The caller may not give this role, team or scope (no one hands out more than they have).',
    hint: 'Ask an administrator of the team, or a factory administrator (admin without a team).',
  },
  GATEWAY_PROXY_NOT_CONFIGURED: {
    kind: 'user',
    status: 404,
    summary: 'This factory does not reach a gateway (MCP_FACTORY_GATEWAY_URL is not set).',
    hint: 'Set MCP_FACTORY_GATEWAY_URL (and MCP_FACTORY_GATEWAY_TOKEN) in the environment of `mcp-factory serve`.',
  },
  GATEWAY_PROXY_FAILED: {
    kind: 'user',
    status: 502,
    summary: 'The gateway behind this factory did not answer usably (down, slow, too large, or refused).',
    hint: 'Check that the gateway at MCP_FACTORY_GATEWAY_URL runs and that MCP_FACTORY_GATEWAY_TOKEN is valid there.',
  },
  GATEWAY_UPSTREAM_UNAVAILABLE: {
    kind: 'user',
    status: 503,
    summary:
      'The gateway cannot reach the upstream server of this tool (not connected, failing, or its circuit is open).',
    hint: 'Check the upstream with GET /health/detailed; the gateway retries it by itself once it answers again.',
  },
  GATEWAY_UPSTREAM_TIMEOUT: {
    kind: 'user',
    status: 504,
    summary: 'The upstream server did not answer the tool call in time.',
    hint: "Raise the upstream's timeoutMs in the gateway configuration, or make the tool faster.",
  },
  GATEWAY_TOOL_NOT_FOUND: {
    kind: 'user',
    status: 404,
    summary: 'No tool of that name is in the gateway catalog (or the caller may not use it).',
    hint: 'List the tools (tools/list, GET /api/v1/tools) or search them (search_tools).',
  },
  GATEWAY_RATE_LIMITED: {
    kind: 'user',
    status: 429,
    summary:
      "The caller made more calls than the gateway's rate limits allow (limits.perCaller, or limits.perTool for this tool).",
    hint: 'Wait for retryAfterSeconds (the Retry-After header over REST) and call again; an operator can raise the limits in the gateway configuration.',
  },
  GATEWAY_UPSTREAM_STDIO_REFUSED: {
    kind: 'user',
    status: 403,
    summary:
      'A stdio upstream (a command to run) cannot be added over the REST API: only http and sse URLs can.',
    hint: 'Declare stdio upstreams in the gateway config file (servers: [{ name, command, args }]) and restart the gateway.',
  },
  GATEWAY_UPSTREAM_ENV_REFUSED: {
    kind: 'user',
    status: 400,
    summary:
      "An upstream added over the REST API holds a ${VAR} reference: the gateway's environment is never expanded for it.",
    hint: 'Send the literal value (header values are kept in memory and never shown back), or declare the upstream in the gateway config file, where ${VAR} references are resolved.',
  },
  GATEWAY_UPSTREAM_EXISTS: {
    kind: 'user',
    status: 409,
    summary:
      'An upstream of that name already exists (in the gateway config file, the registry, or added over the REST API).',
    hint: 'Choose another name; GET /api/v1/servers lists the upstreams.',
  },
  GATEWAY_UPSTREAM_NOT_FOUND: {
    kind: 'user',
    status: 404,
    summary: 'The gateway has no upstream of that name.',
    hint: 'GET /api/v1/servers lists the upstreams.',
  },
  GATEWAY_UPSTREAM_NOT_REMOVABLE: {
    kind: 'user',
    status: 409,
    summary:
      'The upstream comes from the gateway config file or the registry: only upstreams added over the REST API can be removed over it.',
    hint: 'Remove it from the gateway config file and restart the gateway, or stop the registry server (mcp-stop NAME).',
  },
  GATEWAY_UPSTREAM_LIMIT: {
    kind: 'user',
    status: 409,
    summary: 'The gateway holds as many upstreams added over the REST API as it may.',
    hint: 'Remove upstreams added over the REST API that are no longer needed (DELETE /api/v1/servers/{name}), or declare the upstream in the gateway config file.',
  },
  API_SCOPE_REQUIRED: {
    kind: 'user',
    status: 403,
    summary:
      'The spec needs a permission the token was not given: creating code tools (servers.create.code) or code with host access (servers.create.host).',
    hint: 'Create the server with the CLI on the factory host, or use a token made with `mcp-factory token create NAME --allow-code` (and `--allow-host-access` for code.hostAccess).',
  },
  API_RATE_LIMITED: {
    kind: 'user',
    status: 429,
    summary: 'The token made more requests than its rate limit allows.',
    hint: 'Wait for the number of seconds in the Retry-After header; give the token a higher limit (token create --rate) if it is too low.',
  },
  API_SERVER_QUOTA_EXCEEDED: {
    kind: 'user',
    status: 403,
    summary: 'The token has already created as many servers as it may.',
    hint: 'Remove servers it no longer needs, or use a token with a higher limit (token create --max-servers).',
  },
  API_BUSY: {
    kind: 'user',
    status: 503,
    summary: 'Too many servers are being created at the same time.',
    hint: 'Retry after the number of seconds in the Retry-After header.',
  },
  API_BODY_TOO_LARGE: {
    kind: 'user',
    status: 413,
    summary: 'The request body is larger than the API accepts.',
    hint: 'Send a smaller body (the limit is in the message), or start the API with a higher --max-body.',
  },
  API_INVALID_REQUEST: {
    kind: 'user',
    status: 400,
    summary:
      'The request is malformed: invalid JSON, an unsupported content type, or values that do not match the API schema.',
    hint: 'Check the request against GET /openapi.json; details.issues lists each problem with its location.',
  },
  API_NOT_FOUND: {
    kind: 'user',
    status: 404,
    summary: 'No API endpoint has that path.',
    hint: 'GET /openapi.json lists every endpoint.',
  },
  API_METHOD_NOT_ALLOWED: {
    kind: 'user',
    status: 405,
    summary: 'The endpoint does not accept that HTTP method.',
    hint: 'Use one of the methods in the Allow header.',
  },
  TOOLSMITH_RUN_NOT_FOUND: {
    kind: 'user',
    status: 404,
    summary: 'There is no toolsmith run with that id.',
    hint: 'List runs with `mcp-factory toolsmith list` (GET /mcp/analyze).',
  },
  TOOLSMITH_CONFLICT: {
    kind: 'user',
    status: 409,
    summary: 'The run is not waiting for this decision (someone decided first, or it moved on).',
    hint: 'Show the run (`mcp-factory toolsmith show RUN`) and decide on what it waits for now.',
  },
  TOOLSMITH_DATASET_INVALID: {
    kind: 'user',
    status: 400,
    summary:
      'The dataset cannot be read: missing, not a regular file, an unknown format, or unreadable by DuckDB.',
    hint: 'Give a CSV, TSV, JSON, NDJSON or Parquet file (by its extension) that exists and is readable.',
  },
  TOOLSMITH_SELF_APPROVAL: {
    kind: 'user',
    status: 403,
    summary: 'The promotion of a run must be approved by someone other than who asked the question.',
    hint: 'Ask another reviewer to approve stage 2.',
  },
  TOOLSMITH_NOT_DECIDABLE: {
    kind: 'user',
    status: 409,
    summary: 'The decision does not apply to the run in its current state.',
    hint: 'Approve or reject a run waiting for review; archive or roll back a promoted tool.',
  },
  TOOLSMITH_FAILED: {
    kind: 'user',
    status: 422,
    summary:
      'The toolsmith could not produce a working tool: the validation or execution still failed after the repairs.',
    hint: 'Show the run for the validation report and the errors of each attempt; rephrase the question or check the dataset.',
  },
  TOOLSMITH_POLICY_INVALID: {
    kind: 'user',
    status: 400,
    summary: 'The sandbox policy file of the toolsmith is malformed.',
    hint: 'Fix the field named in the message; see docs/toolsmith.md for the policy format.',
  },
  // ---- jobs (src/jobs, docs/jobs.md)
  JOB_NOT_FOUND: {
    kind: 'user',
    status: 404,
    summary:
      'No job with this id is visible to the caller (it does not exist, was pruned, or is another caller’s).',
    hint: 'List your jobs with `mcp-factory jobs list` (GET /mcp/jobs).',
  },
  JOB_INVALID: {
    kind: 'user',
    status: 400,
    summary: 'A job request is malformed (idempotency key, attempts, kind or filter).',
    hint: 'Fix the field named in the message; see docs/jobs.md.',
  },
  JOB_TOO_LARGE: {
    kind: 'user',
    status: 413,
    summary: 'The input (or result) of a job is larger than a job may hold; nothing was queued.',
    hint: 'Send a smaller request, or run the operation synchronously.',
  },
  JOB_IDEMPOTENCY_CONFLICT: {
    kind: 'user',
    status: 409,
    summary: 'The idempotency key was already used by the caller for another request.',
    hint: 'Use a new key for a new request; the same key with the same request answers the first job.',
  },
  JOB_CANCELLED: {
    kind: 'user',
    status: 409,
    summary: 'The job was cancelled before it finished.',
    hint: 'Submit the operation again if it is still needed.',
  },
  JOB_WORKER_LOST: {
    kind: 'user',
    status: 503,
    summary: 'The worker running the job stopped answering on every attempt (the process died or hung).',
    hint: 'Check the factory processes and their logs, then submit the job again.',
  },
  JOB_KIND_UNKNOWN: {
    kind: 'user',
    status: 400,
    summary: 'No worker of this factory runs jobs of this kind.',
    hint: 'Only long operations (create, deploy, analyze, call) run as jobs; see docs/jobs.md.',
  },
  // ---- end of jobs
  NO_LLM_PROVIDER: {
    kind: 'user',
    status: 501,
    summary:
      'Creating a server from a natural-language description needs an LLM provider, and none is configured.',
    hint: 'Write a spec (or start from a template, GET /mcp/templates) and send it to POST /mcp/create.',
  },
  LLM_NOT_CONFIGURED: {
    kind: 'user',
    status: 501,
    summary: 'No LLM provider, model or API key is configured for creating a server from a description.',
    hint: 'Set --provider/--model (or MCP_FACTORY_LLM_PROVIDER/MCP_FACTORY_LLM_MODEL, or `llm` in ~/.mcp-factory/config.json) and export the API key variable, e.g. ANTHROPIC_API_KEY; see docs/llm.md.',
  },
  LLM_CONFIG_INVALID: {
    kind: 'user',
    status: 400,
    summary:
      'The LLM configuration (flags, MCP_FACTORY_LLM_* variables or the config file) has an invalid value.',
    hint: 'Fix the value named in the message; the config file names the API key variable (apiKeyEnv), never the key itself.',
  },
  LLM_AUTH: {
    kind: 'user',
    status: 502,
    summary: 'The LLM provider rejected the API key (401/403).',
    hint: 'Check the key in the variable named by apiKeyEnv (e.g. ANTHROPIC_API_KEY) and that it may use the model.',
  },
  LLM_RATE_LIMITED: {
    kind: 'user',
    status: 502,
    summary: 'The LLM provider kept answering 429 (rate limit or quota) after the allowed retries.',
    hint: 'Wait and retry, raise --max-retries, or check the quota of the account.',
  },
  LLM_TIMEOUT: {
    kind: 'user',
    status: 504,
    summary: 'The LLM provider did not answer within the timeout.',
    hint: 'Retry, or raise the timeout (--timeout, MCP_FACTORY_LLM_TIMEOUT_MS); local models may need several minutes.',
  },
  LLM_REFUSED: {
    kind: 'user',
    status: 502,
    summary: 'The model refused the request or its answer was blocked by a content filter.',
    hint: 'Describe the server differently; requests for harmful tools (shell access, backdoors) are refused by design.',
  },
  LLM_BAD_OUTPUT: {
    kind: 'user',
    status: 502,
    summary: 'The model did not answer with a usable JSON document, even after the repair attempts.',
    hint: 'Retry, use a stronger model, or --emit-spec and write the spec by hand.',
  },
  LLM_PROVIDER_ERROR: {
    kind: 'user',
    status: 502,
    summary:
      'The LLM provider call failed (bad request, unknown model, server error or unreachable endpoint).',
    hint: 'Check --model and --base-url (is the local server, e.g. Ollama, running?); the message shows the provider answer.',
  },
  NL_PROMPT_EMPTY: {
    kind: 'user',
    status: 400,
    summary: 'The natural-language description is empty.',
    hint: 'Describe the server: what it connects to and which tools it offers.',
  },
  NL_PROMPT_TOO_LONG: {
    kind: 'user',
    status: 413,
    summary: 'The natural-language description is longer than 10,000 characters.',
    hint: 'Shorten the description, or write a spec file and use --spec.',
  },
  RESEARCH_FAILED: {
    kind: 'user',
    status: 502,
    summary: 'The research step (web search for API documentation) is enabled but not configured or failed.',
    hint: 'Set TAVILY_API_KEY, or turn research off (it is off by default).',
  },
  TOKEN_NOT_FOUND: {
    kind: 'user',
    status: 404,
    summary: 'No API token has that name or id.',
    hint: 'List the tokens with `mcp-factory token list`.',
  },
  TOKEN_EXISTS: {
    kind: 'user',
    status: 409,
    summary: 'An active API token already has that name.',
    hint: 'Choose another name, or revoke the old token first (`mcp-factory token revoke NAME`).',
  },
  TOKEN_WIDENING_REFUSED: {
    kind: 'user',
    status: 403,
    summary:
      'A request made with an API token may narrow tokens (that one too) but not widen one: a later expiry, a role that grants more, or a removed or wider allow-list.',
    hint: 'Sign in as the owner (POST /auth/login) and make the change with that access token, or use `mcp-factory token update` on the factory host.',
  },
  TOKEN_STORE_INVALID: {
    kind: 'user',
    status: 500,
    summary: 'The API token file cannot be read, written or parsed.',
    hint: 'Check api-tokens.json in the factory home (MCP_FACTORY_HOME): fix its permissions, or move it away and create the tokens again.',
  },
  SERVER_EXISTS: {
    kind: 'user',
    status: 409,
    summary: 'A server with this name is already registered.',
    hint: 'Pass --force (force: true) to record a new revision of it, or choose another name in the spec.',
  },
  NOT_DEPLOYED: {
    kind: 'user',
    status: 409,
    summary: 'The server has no deployment on that target.',
    hint: 'Deploy it first: mcp-deploy NAME --target local.',
  },
  CLUSTER_REMOTE_NODE: {
    kind: 'user',
    status: 421,
    summary:
      'The server runs on another node of the factory cluster, whose home holds what was asked for (its logs).',
    hint: 'Ask the API instance of that node: its URL is in the details (url), from MCP_FACTORY_NODE_URL.',
  },
  DEPLOYMENT_NOT_RUNNING: {
    kind: 'user',
    status: 409,
    summary: 'The deployment is not running, or its server does not answer.',
    hint: 'Check mcp-status NAME and mcp-logs NAME; start it again with mcp-start NAME.',
  },
  UPSTREAM_AUTH_FAILED: {
    kind: 'user',
    status: 502,
    summary: 'The factory could not get an access token for an OAuth-protected server it calls.',
    hint: 'Give the client credentials at deploy (--env MCP_CLIENT_ID=… --env MCP_CLIENT_SECRET=…), allow that client the client_credentials grant and the server as resource at the issuer, and check MCP_OAUTH_ISSUER / auth.issuer.',
  },
  DEPLOY_FAILED: {
    kind: 'user',
    status: 502,
    summary: 'The deployed server did not become healthy: it crashed at start, or it was marked failed.',
    hint: "Read the server's own error in mcp-logs NAME; fix the environment (--env) or the spec and deploy again.",
  },
  DEPLOY_TIMEOUT: {
    kind: 'user',
    status: 504,
    summary: 'The supervisor did not bring the deployment to the requested state in time.',
    hint: 'The server may still be starting: check mcp-status NAME, and the supervisor log in the factory home (logs/supervisor.log).',
  },
  DEPLOY_MISSING_ENV: {
    kind: 'user',
    status: 422,
    summary: 'Environment variables the server needs were not given.',
    hint: 'Pass them with --env NAME=value (or --env NAME to copy it from your environment); values go to the local secret store, never into the registry.',
  },
  DEPLOY_TARGET_UNAVAILABLE: {
    kind: 'user',
    status: 503,
    summary: 'The deployment target cannot run here: its engine or host tools are missing or not running.',
    hint: 'The message names what is missing (a Docker engine; QEMU, a guest kernel or busybox for microvm): install or start it, or deploy with --target local.',
  },
  DEPLOY_PORT_IN_USE: {
    kind: 'user',
    status: 409,
    summary: 'The port of the deployment is already taken by another process.',
    hint: 'Deploy without --port to get a free one, or stop what listens there (ss -ltnp to find it), then deploy again.',
  },
  SUPERVISOR_RUNNING: {
    kind: 'user',
    status: 409,
    summary: 'Another supervisor already manages this factory home.',
    hint: 'Use the running one (mcp-factory supervisor status), or stop it first (mcp-factory supervisor stop).',
  },
  SUPERVISOR_UNAVAILABLE: {
    kind: 'user',
    status: 503,
    summary: 'The supervisor of local deployments could not be started or reached.',
    hint: 'Run it in the foreground to see why: mcp-factory supervisor --foreground; its log is logs/supervisor.log in the factory home.',
  },
  DOCKER_UNAVAILABLE: {
    kind: 'user',
    status: 503,
    summary: 'The Docker engine is not reachable.',
    hint: 'Start dockerd (or set DOCKER_HOST) and try again.',
  },
  DOCKER_BUILD_FAILED: {
    kind: 'user',
    status: 502,
    summary: "The server's image could not be built.",
    hint: 'Check that the base image exists locally (MCP_FACTORY_NODE_IMAGE) and the project has dist/server.mjs.',
  },
  DOCKER_RUN_FAILED: {
    kind: 'user',
    status: 502,
    summary: "The server's container could not be started.",
    hint: 'Check that the port is free and the image was built.',
  },
  CONFIG_INVALID: {
    kind: 'user',
    // The server's own environment is wrong, not the request: a server-side failure.
    status: 500,
    summary: 'An MCP_FACTORY_* environment variable has a value that cannot be used.',
    hint: 'Fix or unset the variable named in the message; docs/configuration.md lists every variable, its type and default.',
  },
  INVALID_ARGUMENTS: {
    kind: 'user',
    status: 400,
    summary: 'Command-line arguments are invalid.',
    hint: 'Run the command with --help.',
  },
  INTERNAL: {
    kind: 'internal',
    status: 500,
    summary: 'An unexpected internal error.',
    hint: 'Please report it with the command you ran and the spec.',
  },
} as const satisfies Record<string, ErrorCodeEntry>;

export type ErrorCode = keyof typeof ERROR_CODES;
