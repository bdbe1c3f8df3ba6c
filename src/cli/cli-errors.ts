// Exit codes of the command line (README "Command line"): scripts branch on them.
export const EXIT = { ok: 0, refused: 1, usage: 2, unreachable: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An expected failure: printed as `error: <message>` (never a stack) and mapped to its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
  }
}

/** Bad flags, a missing or unreadable file, a bad key: the user must change the command. */
export const usageError = (message: string) => new CliError(message, EXIT.usage);
/** The gateway (or an offline check) said no. */
export const refusedError = (message: string) => new CliError(message, EXIT.refused);
export const unreachableError = (message: string) => new CliError(message, EXIT.unreachable);
