/** The PKI cannot be used as configured or as it stands on disk; the message says what a person should do. */
export class PkiError extends Error {
  override readonly name = 'PkiError';
}
