/**
 * The name patterns of the spec, free of zod: the registry checks names with them on every open, and the
 * CLI's fast verbs (`list`, `status`) must not load the schema library for that (start-up time).
 */
export const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
export const SERVER_NAME = /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/;
export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
export const ENV_VAR = /^[A-Z_][A-Z0-9_]{0,127}$/;
