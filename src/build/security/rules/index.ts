/**
 * The default rule set, in its fixed, documented order (the order `SecurityScanner.rules` reports). Each
 * family lives in its own file; a new rule goes into its family's file and into this list.
 */
import type { SecurityRule } from '../types.js';
import {
  childProcessImportRule,
  dynamicRequireRule,
  evalRule,
  newFunctionRule,
  shellExecRule,
  vmModuleRule,
} from './code-execution.js';
import { insecureRandomTokenRule, weakHashRule } from './crypto.js';
import {
  bindAllInterfacesRule,
  corsWildcardOriginRule,
  httpCleartextCredentialUrlRule,
  tlsVerificationDisabledRule,
} from './network.js';
import { envDumpRule, recursiveDeleteDynamicPathRule } from './runtime-hygiene.js';
import {
  credentialInUrlRule,
  hardcodedAuthHeaderRule,
  hardcodedCredentialRule,
  hardcodedSecretRule,
  privateKeyRule,
} from './secrets.js';
import { stringBuiltSqlRule } from './sql.js';

export const DEFAULT_RULES: readonly SecurityRule[] = Object.freeze([
  evalRule,
  newFunctionRule,
  shellExecRule,
  childProcessImportRule,
  vmModuleRule,
  dynamicRequireRule,
  stringBuiltSqlRule,
  tlsVerificationDisabledRule,
  hardcodedSecretRule,
  privateKeyRule,
  hardcodedCredentialRule,
  hardcodedAuthHeaderRule,
  credentialInUrlRule,
  httpCleartextCredentialUrlRule,
  insecureRandomTokenRule,
  envDumpRule,
  weakHashRule,
  recursiveDeleteDynamicPathRule,
  corsWildcardOriginRule,
  bindAllInterfacesRule,
]);
