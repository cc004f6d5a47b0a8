/** Typed errors for input a user can fix; anything else is a bug and stays a plain Error. */
export type ImageErrorCode =
  | 'EMPTY_INPUT'
  | 'NOT_AN_IMAGE'
  /** A picture, but in a format memegen deliberately does not read (HEIC, SVG): see formats.ts. */
  | 'UNSUPPORTED_FORMAT'
  | 'TRUNCATED_IMAGE'
  | 'TOO_MANY_PIXELS'
  | 'CORRUPT_IMAGE';

export class ImageError extends Error {
  override readonly name = 'ImageError';
  constructor(
    readonly code: ImageErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Options a user got wrong: unknown style, language or format, out-of-range numbers. */
export class RenderOptionError extends Error {
  override readonly name = 'RenderOptionError';
  readonly code = 'BAD_OPTION';
}
