/** analyzeImage on real photos: the faces a person sees, with a plausible expression each. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { analyzeImage, EMOTIONS, iou } from '../functions/core';
import { PHOTOS } from './support/sharedData';

// Face counts from test/photos/README.md (the photos' own documentation).
const EXPECTED_FACES: Record<string, number> = {
  'faceapi_sample1.jpg': 3,
  'faceapi_sample2.jpg': 3,
  'faceapi_sample3.jpg': 3,
  'faceapi_sample4.jpg': 4,
  'faceapi_sample5.jpg': 5,
  'faceapi_sample6.jpg': 4,
  'matplotlib_grace_hopper.jpg': 1,
  'skimage_astronaut.png': 1,
  'skimage_camera.png': 1,
};

const photo = (name: string) => readFileSync(join(PHOTOS, name));

describe('analyzeImage', () => {
  it.each(Object.entries(EXPECTED_FACES))('finds every face in %s and nothing else', async (name, count) => {
    const analysis = await analyzeImage(photo(name));
    const meta = await sharp(photo(name)).metadata();
    expect([analysis.width, analysis.height]).toEqual([meta.width, meta.height]);
    expect(analysis.faces).toHaveLength(count);
    for (const face of analysis.faces) {
      const { box } = face;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.y).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(analysis.width);
      expect(box.y + box.height).toBeLessThanOrEqual(analysis.height);
      // Eyes inside the box, the person's right eye on the picture's left.
      const { rightEye, leftEye, mouth } = face.keypoints;
      for (const p of [rightEye, leftEye, mouth]) {
        expect(p.x).toBeGreaterThan(box.x);
        expect(p.x).toBeLessThan(box.x + box.width);
      }
      expect(rightEye.x).toBeLessThan(leftEye.x);
      expect(mouth.y).toBeGreaterThan(rightEye.y);
      const total = EMOTIONS.reduce((s, e) => s + face.emotions[e], 0);
      expect(total).toBeCloseTo(1, 5);
      expect(face.emotions[face.dominant]).toBe(Math.max(...EMOTIONS.map((e) => face.emotions[e])));
    }
  });

  // Known limitation, kept visible: BlazeFace scores this cat's face 0.74, above the shipped
  // score floor (minScore in models/detector.json, chosen on WIDER FACE). When this starts
  // passing, make it a plain test.
  it.failing('finds no human face in a photo of a cat', async () => {
    expect((await analyzeImage(photo('skimage_chelsea_noface.png'))).faces).toHaveLength(0);
  });

  it('reads the astronaut’s broad smile as happy', async () => {
    const [face] = (await analyzeImage(photo('skimage_astronaut.png'))).faces;
    expect(face.dominant).toBe('happy');
    expect(face.emotions.happy).toBeGreaterThan(0.8);
  });

  it('reports boxes in the picture as displayed, after EXIF orientation', async () => {
    const upright = await analyzeImage(photo('matplotlib_grace_hopper.jpg'));
    // Same pixels stored rotated 90° counter-clockwise, with EXIF orientation 6 telling viewers to turn them back.
    const stored = await sharp(photo('matplotlib_grace_hopper.jpg'))
      .rotate(-90)
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const turned = await analyzeImage(stored);
    expect([turned.width, turned.height]).toEqual([upright.width, upright.height]);
    expect(turned.faces).toHaveLength(1);
    expect(iou(turned.faces[0].box, upright.faces[0].box)).toBeGreaterThan(0.8);
  });

  it('analyses a large photo at reduced size but reports boxes in its full-size pixels', async () => {
    const small = await analyzeImage(photo('skimage_astronaut.png'));
    const large = await analyzeImage(
      await sharp(photo('skimage_astronaut.png')).resize(4096, 4096).jpeg({ quality: 92 }).toBuffer(),
    );
    expect([large.width, large.height]).toEqual([4096, 4096]);
    expect(large.faces).toHaveLength(1);
    const b = small.faces[0].box;
    const scaled = { x: b.x * 8, y: b.y * 8, width: b.width * 8, height: b.height * 8 };
    expect(iou(large.faces[0].box, scaled)).toBeGreaterThan(0.8);
    expect(large.faces[0].keypoints.leftEye.x).toBeCloseTo(small.faces[0].keypoints.leftEye.x * 8, -2);
    expect(large.faces[0].dominant).toBe('happy');
  });

  it('finds a face that is tilted and levels it for the expression models', async () => {
    const tilted = await sharp(photo('skimage_astronaut.png'))
      .rotate(25, { background: '#808080' })
      .png()
      .toBuffer();
    const analysis = await analyzeImage(tilted);
    expect(analysis.faces).toHaveLength(1);
    const { rightEye, leftEye } = analysis.faces[0].keypoints;
    const angle = (Math.atan2(leftEye.y - rightEye.y, leftEye.x - rightEye.x) * 180) / Math.PI;
    expect(angle).toBeGreaterThan(15);
    expect(angle).toBeLessThan(35);
    expect(analysis.faces[0].dominant).toBe('happy');
  });
});
