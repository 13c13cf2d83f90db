/**
 * File-path patterns that decide which files a rule reads: JS/TS sources (masked before matching) and the
 * configuration-like files where secrets and TLS switches also leak (always matched raw).
 */

/** Files rules apply to unless they say otherwise. */
export const DEFAULT_FILE_PATTERN = /\.(c|m)?[jt]sx?$/;

/** JS/TS sources: masked (comments, and for some rules literal contents) before rules are matched. */
export const JS_FILE = /\.(?:c|m)?[jt]sx?$/;
/** JS/TS sources plus configuration-like files where secrets and TLS switches also leak. */
export const SOURCE_OR_CONFIG_FILE =
  /(?:\.(?:c|m)?[jt]sx?|\.(?:json|jsonc|ya?ml|toml|ini|cfg|conf|properties|sh))$|(?:^|\/)\.(?:env(?:\.[\w.-]+)?|npmrc)$/;
export const SOURCE_CONFIG_OR_KEY_FILE = new RegExp(`${SOURCE_OR_CONFIG_FILE.source}|\\.(?:pem|key)$`);
export const SOURCE_OR_JSON_FILE = /\.(?:(?:c|m)?[jt]sx?|json|jsonc)$/;
