/**
 * The pictures every benchmark uses: the bundled photos plus two made from them, a
 * 12-megapixel JPEG and a close-up whose face fills the frame.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';

export const PHOTOS_DIR = join(__dirname, '..', 'test', 'photos');
export const SYNTHETIC_12MP = 'synthetic-12mp.jpg';
export const SYNTHETIC_CLOSE_UP = 'synthetic-closeup.jpg';

/** The uploads of the local-stack benches (bench:pipeline, bench:fault): three 1920-px group photos and two small portraits. */
const UPLOAD_MIX = [
  'faceapi_sample1.jpg',
  'matplotlib_grace_hopper.jpg',
  'faceapi_sample3.jpg',
  'skimage_camera.png',
  'faceapi_sample5.jpg',
];

/** The upload mix as bytes with the content type a client would declare. */
export function uploadMix(): { bytes: Buffer; type: string }[] {
  return UPLOAD_MIX.map((name) => ({
    bytes: readFileSync(join(PHOTOS_DIR, name)),
    type: name.endsWith('.png') ? 'image/png' : 'image/jpeg',
  }));
}

export interface BenchPhoto {
  name: string;
  bytes: Buffer;
}

/**
 * The bundled photos, and faceapi_sample1.jpg enlarged to 4242×2828 (12 MP) as a phone
 * camera would deliver it (quality 92, baseline JPEG): the case users upload most. And a
 * selfie-like close-up, the face filling the frame (cut from matplotlib_grace_hopper.jpg,
 * 1080×1080): the detector's close-up pass runs on such pictures, and its cost shows here.
 */
export async function benchPhotos(): Promise<BenchPhoto[]> {
  const photos = readdirSync(PHOTOS_DIR)
    .filter((file) => /\.(jpe?g|png)$/i.test(file))
    .sort()
    .map((name) => ({ name, bytes: readFileSync(join(PHOTOS_DIR, name)) }));
  const large = await sharp(readFileSync(join(PHOTOS_DIR, 'faceapi_sample1.jpg')))
    .resize(4242, 2828)
    .jpeg({ quality: 92 })
    .toBuffer();
  return [
    ...photos,
    { name: SYNTHETIC_12MP, bytes: large },
    { name: SYNTHETIC_CLOSE_UP, bytes: await closeUp() },
  ];
}

/** A tight square around Grace Hopper's face, from brow to chin, enlarged to 1080×1080. */
export function closeUp(): Promise<Buffer> {
  return sharp(readFileSync(join(PHOTOS_DIR, 'matplotlib_grace_hopper.jpg')))
    .extract({ left: 178, top: 150, width: 180, height: 180 })
    .resize(1080, 1080)
    .jpeg({ quality: 92 })
    .toBuffer();
}
