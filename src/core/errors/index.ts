export { ERROR_CODES, type ErrorCode } from './codes.js';
export {
  FactoryError,
  formatIssue,
  formatLocation,
  type Issue,
  makeIssue,
  type SourceLocation,
} from './factory-error.js';
