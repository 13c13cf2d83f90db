/** Untrusted text from a document → plain strings safe to put in a spec (shared with the database source). */
export {
  cleanLine,
  cleanText,
  isSecretLike,
  redactSecrets,
  shortMessage,
} from '../../core/text/untrusted.js';
