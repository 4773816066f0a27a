/** A patch that cannot be applied: malformed, or an operation that does not hold. */
export class PatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PatchError';
  }
}
