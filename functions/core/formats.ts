/**
 * Picture formats memegen recognises but deliberately does not read, told apart by their
 * first bytes (whatever type or name they were uploaded with):
 *
 *   - HEIC (HEIF with HEVC, the iPhone's "High Efficiency" photos): the libvips build sharp
 *     ships decodes HEIF only with AV1 (AVIF); HEVC is patent-encumbered and left out, and
 *     reading one failed deep in the decoder ("bad seek"). Phones share photos as JPEG.
 *   - SVG: a drawing, not a photo; sharp would rasterise it (with librsvg, a large attack
 *     surface for no use here), and there are no faces to find.
 *
 * Both end a job with UNSUPPORTED_FORMAT and a message saying what to do instead.
 */
import { ImageError } from './errors';

/** ISO BMFF brands of HEIF with HEVC coding (ISO/IEC 23008-12). */
const HEVC_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs']);
const AVIF_BRANDS = new Set(['avif', 'avis']);

/** The major and compatible brands of an ISO BMFF file's ftyp box, or undefined if it has none. */
function ftypBrands(bytes: Uint8Array): string[] | undefined {
  if (bytes.length < 16) return undefined;
  const text = (start: number): string => String.fromCharCode(...bytes.subarray(start, start + 4));
  if (text(4) !== 'ftyp') return undefined;
  const size = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
  const end = Math.min(size, bytes.length, 256);
  const brands = [text(8)];
  for (let at = 16; at + 4 <= end; at += 4) brands.push(text(at));
  return brands;
}

function isHeic(bytes: Uint8Array): boolean {
  const brands = ftypBrands(bytes);
  if (!brands || brands.some((brand) => AVIF_BRANDS.has(brand))) return false;
  return brands.some((brand) => HEVC_BRANDS.has(brand));
}

function isSvg(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.subarray(0, 4096))
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trimStart();
  return head.startsWith('<') && /<svg[\s>]/i.test(head);
}

/** Throws UNSUPPORTED_FORMAT for a picture format memegen does not read. */
export function refuseUnsupportedFormats(bytes: Uint8Array): void {
  if (isHeic(bytes))
    throw new ImageError(
      'UNSUPPORTED_FORMAT',
      'HEIC photos (the iPhone\'s "High Efficiency" format) are not supported: share the photo as JPEG, or set Settings › Camera › Formats to "Most Compatible"',
    );
  if (isSvg(bytes))
    throw new ImageError(
      'UNSUPPORTED_FORMAT',
      'SVG drawings are not supported: memegen makes memes of photos (JPEG, PNG, WebP, GIF, AVIF or TIFF)',
    );
}
