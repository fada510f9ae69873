/**
 * Bad input the user can fix: a malformed file, a missing file, a bad flag. Commands print its
 * message as one line (naming the file and line) and exit 3 (UNKNOWN); never a stack trace.
 */
export class InputError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'InputError'
  }
}
