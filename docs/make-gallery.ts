/**
 * `npm run gallery`: the sample memes shown in the README, made from the bundled photos
 * with the real models and the caption library (fixed seeds, so reruns give the same set).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeMeme, MakeMemeOptions } from '../functions/core';

const PHOTOS = join(__dirname, '..', 'test', 'photos');
const OUT = join(__dirname, 'gallery');

const GALLERY: { file: string; photo: string; options: MakeMemeOptions }[] = [
  // A group of five: the caption reads the whole group, and the text keeps off every face.
  { file: 'classic.jpg', photo: 'faceapi_sample5.jpg', options: { style: 'classic', seed: 'gallery-1' } },
  { file: 'label.jpg', photo: 'matplotlib_grace_hopper.jpg', options: { style: 'label', seed: 'gallery-2' } },
  { file: 'faces.jpg', photo: 'faceapi_sample4.jpg', options: { style: 'faces', seed: 'gallery-3' } },
  {
    file: 'classic-zh.jpg',
    photo: 'skimage_camera.png',
    options: { style: 'classic', lang: 'zh', seed: 'gallery-4' },
  },
  {
    file: 'emoji.jpg',
    photo: 'skimage_astronaut.png',
    options: {
      style: 'classic',
      caption: { top: 'mission accomplished 🚀', bottom: 'now where are the snacks 😋' },
    },
  },
];

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  for (const { file, photo, options } of GALLERY) {
    const meme = await makeMeme(readFileSync(join(PHOTOS, photo)), { maxSide: 640, quality: 82, ...options });
    writeFileSync(join(OUT, file), meme.bytes);
    const caption = [meme.caption.top, meme.caption.bottom].filter(Boolean).join(' / ') || '(face tags)';
    console.log(`${join('docs', 'gallery', file)}: ${photo}, ${options.style}, "${caption}"`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
