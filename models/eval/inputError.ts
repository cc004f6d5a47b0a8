/**
 * Evaluation input a user can fix: a missing or misshapen data set or annotations file. The
 * CLI prints its message in one line (no stack trace), as it does for a picture it cannot read.
 */
export class EvalInputError extends Error {
  override readonly name = 'EvalInputError';
}
