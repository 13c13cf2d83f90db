/** The error vocabulary of MCP Factory: the code table (meaning, hint, HTTP status) and FactoryError. */
export { ERROR_CODES, type ErrorCode, type ErrorCodeEntry } from './codes.js';
export {
  FactoryError,
  formatIssue,
  formatLocation,
  type Issue,
  makeIssue,
  type SourceLocation,
} from './factory-error.js';
