/**
 * What the decoder needs to know of a JPEG before decoding it (size, EXIF orientation, ICC
 * profile), read from its marker segments in JavaScript. Asking sharp costs a trip through
 * its thread pool, about 0.7 ms a call, and a meme asked twice (analysis, then rendering);
 * this reads the same facts in microseconds. Anything it does not fully understand returns
 * undefined, and the caller asks sharp as before.
 */

export interface JpegHeader {
  /** As stored, before EXIF orientation. */
  width: number;
  height: number;
  /** EXIF orientation, 1-8 (1 when the file has none). */
  orientation: number;
  /** The embedded ICC profile (its chunks joined), if any. */
  icc?: Buffer;
}

/** Start-of-frame markers: every SOFn except DHT (C4), JPG (C8) and DAC (CC). */
const isStartOfFrame = (marker: number): boolean =>
  marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;

/** Markers that stand alone, with no length after them: TEM and RST0-7. */
const standsAlone = (marker: number): boolean => marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7);

const ascii = (bytes: Uint8Array, at: number, length: number): string =>
  String.fromCharCode(...bytes.subarray(at, at + length));

/** The header of a baseline or progressive JPEG, or undefined for anything else or anything unexpected. */
export function readJpegHeader(bytes: Uint8Array): JpegHeader | undefined {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return undefined;
  let size: { width: number; height: number } | undefined;
  let orientation: number | undefined;
  const iccChunks: { sequence: number; data: Uint8Array }[] = [];
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return undefined;
    const marker = bytes[at + 1]!;
    if (marker === 0xff) {
      at++; // fill byte before a marker
      continue;
    }
    if (standsAlone(marker)) {
      at += 2;
      continue;
    }
    // The decoder reads every marker segment up to the first scan (SOS), as libjpeg does.
    if (marker === 0xda) {
      if (!size) return undefined;
      return {
        ...size,
        orientation: orientation ?? 1,
        ...(iccChunks.length > 0 && { icc: joined(iccChunks) }),
      };
    }
    if (marker === 0xd9) return undefined; // EOI before any scan
    const length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    const start = at + 4;
    const end = at + 2 + length;
    if (length < 2 || end > bytes.length) return undefined;
    if (isStartOfFrame(marker)) {
      if (length < 8 || size) return undefined;
      const height = (bytes[start + 1]! << 8) | bytes[start + 2]!;
      const width = (bytes[start + 3]! << 8) | bytes[start + 4]!;
      // Height 0 means it comes later, in a DNL segment: leave such files to sharp.
      if (width === 0 || height === 0) return undefined;
      size = { width, height };
    } else if (marker === 0xe1 && ascii(bytes, start, 6) === 'Exif\0\0') {
      // A second EXIF segment: which one sharp would read is not worth guessing.
      if (orientation !== undefined) return undefined;
      orientation = exifOrientation(bytes.subarray(start + 6, end));
      if (orientation === undefined) return undefined;
    } else if (marker === 0xe2 && ascii(bytes, start, 12) === 'ICC_PROFILE\0') {
      if (end - start < 14) return undefined;
      iccChunks.push({ sequence: bytes[start + 12]!, data: bytes.subarray(start + 14, end) });
    }
    at = end;
  }
  return undefined;
}

function joined(chunks: { sequence: number; data: Uint8Array }[]): Buffer {
  const ordered = [...chunks].sort((a, b) => a.sequence - b.sequence);
  return Buffer.concat(ordered.map((chunk) => chunk.data));
}

/**
 * The orientation tag (0x0112) of a TIFF structure's first IFD: 1 when the IFD has none,
 * undefined when the structure is malformed or the value is not 1-8.
 */
function exifOrientation(tiff: Uint8Array): number | undefined {
  if (tiff.length < 8) return undefined;
  const order = ascii(tiff, 0, 2);
  if (order !== 'II' && order !== 'MM') return undefined;
  const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  const little = order === 'II';
  if (view.getUint16(2, little) !== 42) return undefined;
  const ifd = view.getUint32(4, little);
  if (ifd < 8 || ifd + 2 > tiff.length) return undefined;
  const entries = view.getUint16(ifd, little);
  if (ifd + 2 + entries * 12 > tiff.length) return undefined;
  for (let i = 0; i < entries; i++) {
    const entry = ifd + 2 + i * 12;
    if (view.getUint16(entry, little) !== 0x0112) continue;
    // SHORT, count 1: the value sits in the first two bytes of the value field.
    if (view.getUint16(entry + 2, little) !== 3 || view.getUint32(entry + 4, little) !== 1) return undefined;
    const value = view.getUint16(entry + 8, little);
    return value >= 1 && value <= 8 ? value : undefined;
  }
  return 1;
}
