/**
 * Evidence tables of the failure classifier. Everything here is documented with where it came from;
 * classification itself is always driven by the failing check's own message plus what the server under
 * test exposes.
 */

// Fixtures of the suite's reference server: examples/servers/typescript/everything-server.ts and
// the tasks fixtures described in src/scenarios/server/tasks/*.ts of
// github.com/modelcontextprotocol/conformance (commit c321dd3, v0.2.0-alpha.11; the same names are
// used by 0.1.16 and 0.2.0-alpha.12). Used only as supporting evidence ("referenceFixture").
export const REFERENCE_FIXTURES: {
  tools: readonly string[];
  prompts: readonly string[];
  resources: readonly string[];
} = {
  tools: [
    'test_simple_text',
    'test_image_content',
    'test_audio_content',
    'test_embedded_resource',
    'test_multiple_content_types',
    'test_tool_with_logging',
    'test_tool_with_progress',
    'test_error_handling',
    'test_reconnection',
    'test_sampling',
    'test_elicitation',
    'test_elicitation_sep1034_defaults',
    'test_elicitation_sep1330_enums',
    'json_schema_2020_12_tool',
    'test_input_required_result_elicitation',
    'test_input_required_result_sampling',
    'test_input_required_result_list_roots',
    'test_input_required_result_request_state',
    'test_input_required_result_multiple_inputs',
    'test_input_required_result_multi_round',
    'test_input_required_result_tampered_state',
    'test_input_required_result_capabilities',
    'test_missing_capability',
    'test_streaming_elicitation',
    'test_logging_tool',
    'test_trigger_tool_change',
    'test_trigger_prompt_change',
    // tasks extension (SEP-2663) fixtures
    'slow_compute',
    'greet',
    'confirm_delete',
    'failing_job',
    'protocol_error_job',
    'multi_input',
    'test_tool_with_task',
  ],
  prompts: [
    'test_simple_prompt',
    'test_prompt_with_arguments',
    'test_prompt_with_embedded_resource',
    'test_prompt_with_image',
    'test_input_required_result_prompt',
  ],
  resources: [
    'test://static-text',
    'test://static-binary',
    'test://template/{id}/data',
    'test://watched-resource',
    'test://embedded-resource',
    'test://mixed-content-resource',
    'test://stateless-static-text',
  ],
};

// Scenario -> JSON-RPC method it needs beyond tools/prompts/resources basics. Most scenarios declare
// this in their description ("**Endpoint**: `logging/setLevel`", parsed at run time); the map covers
// scenarios that call the method incidentally (tools-call-with-logging calls logging/setLevel before
// its fixture tool: src/scenarios/server/tools.ts).
export const SCENARIO_METHODS: Readonly<Record<string, string>> = {
  'logging-set-level': 'logging/setLevel',
  'tools-call-with-logging': 'logging/setLevel',
  'completion-complete': 'completion/complete',
  'resources-subscribe': 'resources/subscribe',
  'resources-unsubscribe': 'resources/unsubscribe',
};

// Method -> server capability that must be advertised before a client may use it (MCP spec).
export const METHOD_CAPABILITY: Readonly<Record<string, string>> = {
  'logging/setLevel': 'logging',
  'completion/complete': 'completions',
  'resources/subscribe': 'resources.subscribe',
  'resources/unsubscribe': 'resources.subscribe',
};

// Optional protocol extensions the suite tests, keyed by check-id / scenario prefix.
// SEP-2663 = io.modelcontextprotocol/tasks (requirements/2026-07-28.yaml, not_scored notes).
export const EXTENSIONS: ReadonlyArray<{ id: string; prefixes: readonly string[] }> = [
  { id: 'io.modelcontextprotocol/tasks', prefixes: ['tasks-', 'sep-2663-'] },
];

// Check messages saying the check could not run because an earlier step (needing a fixture) failed.
export const DEPENDENT_RE =
  /^Prerequisite failed|preceding step|fixture from Check \d+ unavailable|could not be exercised/i;
