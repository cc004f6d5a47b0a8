/** The pictures every benchmark uses: the bundled photos plus a synthetic 12-megapixel JPEG. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';

export const PHOTOS_DIR = join(__dirname, '..', 'test', 'photos');
export const SYNTHETIC_12MP = 'synthetic-12mp.jpg';

export interface BenchPhoto {
  name: string;
  bytes: Buffer;
}

/**
 * The bundled photos, and faceapi_sample1.jpg enlarged to 4242×2828 (12 MP) as a phone
 * camera would deliver it (quality 92, baseline JPEG): the case users upload most.
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
  return [...photos, { name: SYNTHETIC_12MP, bytes: large }];
}
