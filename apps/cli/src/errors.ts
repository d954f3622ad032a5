/** Bad command-line arguments; exits with {@link ExitCode.usage}. */
export class UsageError extends Error {
  readonly code = 'VMKIT_CLI_USAGE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UsageError';
  }
}
