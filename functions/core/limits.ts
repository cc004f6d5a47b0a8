/** Limits on input pictures, apart from the decoder (image.ts) so settings can be checked without loading sharp. */

/** ~50 megapixels: a 8660×5773 photo; larger inputs are refused before decoding. */
export const DEFAULT_LIMIT_INPUT_PIXELS = 50_000_000;
