import leven from 'leven';

/**
 * How fhops fails: every message says what went wrong, what to do, and whether anything was changed; the exit code
 * says which kind of failure it was (documented in `fhops --help`).
 */

export const EXIT_CODES = {
  /** The command did what it was asked; a followed execution succeeded (or is still running). */
  ok: 0,
  /** A followed execution or a rehearsal ended other than it should (FAILED, TIMED_OUT, ABORTED, unexpected outcome). */
  failed: 1,
  /** The command was not understood (unknown workflow, environment, scenario; bad input): nothing was started. */
  usage: 2,
  /** AWS could not be reached as you (no credentials, expired SSO session, wrong region or account): nothing was started. */
  aws: 3,
} as const;

export const EXIT_CODES_HELP = `
Exit codes:
  0  done; a followed execution succeeded (or is still running when following stopped)
  1  a followed execution or rehearsal ended FAILED, TIMED_OUT or ABORTED (or not as its scenario expects)
  2  the command was not understood (unknown workflow, environment, scenario, bad --input): nothing was started
  3  AWS refused or could not be reached as you (credentials, SSO session, region): nothing was started
     (when following an execution already started fails, fhops says so and exits 1)
`;

/** A failure of the command line itself: nothing was started or changed. */
export class UsageError extends Error {
  readonly exitCode = EXIT_CODES.usage;
  constructor(problem: string, whatToDo: string) {
    super(`${problem}\n${whatToDo}\nNothing was changed.`);
    this.name = 'UsageError';
  }
}

/** AWS refused who we are or could not be reached: the hint names the profile, SSO and region options. */
export class AwsAccessError extends Error {
  readonly exitCode = EXIT_CODES.aws;
  constructor(cause: string, region: string) {
    super(
      [
        `AWS could not be reached as you (${cause}). Nothing was started or changed.`,
        'Give fhops credentials for the environment\'s account, then run the command again:',
        '  a named profile:   AWS_PROFILE=<profile> fhops ...      (profiles are in ~/.aws/config)',
        '  AWS SSO:           aws sso login --profile <profile>, then AWS_PROFILE=<profile> fhops ...',
        `  the region:        fhops --region <region> ... or AWS_REGION=<region> (now ${region})`,
        '  check who you are: aws sts get-caller-identity',
      ].join('\n'),
    );
    this.name = 'AwsAccessError';
  }
}

/** Following failed after the execution was started: it says so, so nobody starts it a second time. */
export class FollowFailed extends Error {
  readonly exitCode = EXIT_CODES.failed;
  constructor(executionArn: string, cause: unknown) {
    super(
      `The execution ${executionArn} was started and may still be running, but following it failed ` +
        `(${cause instanceof Error ? `${cause.name}: ${cause.message.split('\n')[0]}` : String(cause)}).\n` +
        `Do not start it again: fix the credentials (AWS_PROFILE, aws sso login) and run fhops follow ${executionArn}`,
    );
    this.name = 'FollowFailed';
  }
}

/** The closest of `candidates` to a mistyped `value`: a unique prefix, else the nearest within a few edits. */
export function closest(value: string, candidates: readonly string[]): string | undefined {
  const lower = value.toLowerCase();
  const prefixed = candidates.filter((candidate) => candidate.startsWith(lower));
  if (prefixed.length === 1) return prefixed[0];
  const ranked = candidates.map((candidate) => ({ candidate, distance: leven(lower, candidate) })).sort((a, b) => a.distance - b.distance);
  const best = ranked[0];
  return best && best.distance <= Math.max(2, Math.floor(value.length / 3)) ? best.candidate : undefined;
}

/** "Unknown workflow X. Did you mean Y?" with the list to choose from. */
export function unknown(what: string, value: string, candidates: readonly string[]): UsageError {
  const suggestion = closest(value, candidates);
  return new UsageError(
    `Unknown ${what}: "${value}".${suggestion ? ` Did you mean "${suggestion}"?` : ''}`,
    `Choose one of: ${candidates.join(', ')}.`,
  );
}

/** The errors the AWS SDK raises when it has no usable identity or endpoint. */
const ACCESS_ERRORS = new Set([
  'CredentialsProviderError',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'AccessDeniedException',
  'TokenRefreshRequired',
  'SSOTokenProviderFailure',
]);

/** Turns an AWS SDK error about who we are (or where) into the hint; anything else is returned unchanged. */
export function explainAwsError(error: unknown, region: string): unknown {
  // Errors that already know their exit code (a failed follow after a start) say what happened themselves.
  if (!(error instanceof Error) || 'exitCode' in error) return error;
  const code = (error as { Code?: string }).Code ?? error.name;
  if (ACCESS_ERRORS.has(code) || /Could not load credentials|Region is missing|getaddrinfo|ENOTFOUND|ECONNREFUSED/.test(error.message)) {
    return new AwsAccessError(`${code}: ${error.message.split('\n')[0]}`, region);
  }
  return error;
}
