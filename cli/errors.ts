/** A failure the operator can act on: printed as one line, exit code 1. */
export class CliError extends Error {
  override name = 'CliError'
}

/** Bad input: printed as one line, exit code 2, before the store is touched. */
export class UsageError extends Error {
  override name = 'UsageError'
}
