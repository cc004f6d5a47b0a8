/** Thrown for a bad command line: printed with the usage text, exit code 2. */
export class UsageError extends Error {}

export const USAGE = `memegen — faces, expressions and memes

Usage:
  memegen make [<photo|dir>...] [-o <dir|file>] [--style classic|label|faces]
               [--top T] [--bottom B] [--lang en|zh] [--format jpg|webp|png] [--json]
      Make memes: faces and expressions found, a fitting caption written (or
      yours, with --top/--bottom). With no photo, makes memes of the bundled
      sample photos. Memes go to ./out (or -o) under the photo's name.
  memegen job-id gs://BUCKET/OBJECT#GENERATION... [--public-base-url URL] [--json]
      The job id (and status URL) of a photo copied into the inbox bucket with
      gsutil; \`gsutil ls -a gs://BUCKET/OBJECT\` prints the generation.
      The base URL defaults to $PUBLIC_BASE_URL.
  memegen analyze <image|dir>... [--json]
      Find faces and read their expressions.
  memegen eval <dir of class folders> [--json] [--exclude-duplicates-of <dir>]
      Accuracy, macro recall, per-class recall and confusion matrix of every
      expression model and of the ensemble, on labelled face crops
      (<dir>/<emotion>/<image>), optionally leaving out crops whose pixels also
      appear under another folder (e.g. the training split).
  memegen eval-faces <images dir> --annotations <json> [--json]
                     [--model blazeface-back] [--min-score S] [--tile-above PX]
      Detector recall (IoU 0.5, faces >= 64 px and >= 32 px high) and false
      positives per image against annotated boxes.
  memegen help
`;
