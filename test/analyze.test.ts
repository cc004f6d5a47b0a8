/** analyzeImage on real photos: the faces a person sees, with a plausible expression each. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { analyzeImage, Analyzer } from '../functions/core/analyze';
import { EMOTIONS } from '../functions/core/emotions';
import { faceRoll } from '../functions/core/expression/crop';
import { iou } from '../functions/core/geometry';
import { closeUp } from '../bench/photos';
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

  it('finds the face of a close-up that fills the frame, once', async () => {
    const analysis = await analyzeImage(await closeUp());
    expect(analysis.faces).toHaveLength(1);
    const { box } = analysis.faces[0];
    expect(box.height).toBeGreaterThan(0.6 * analysis.height);
    expect(box.width).toBeGreaterThan(0.6 * analysis.width);
  });

  // YuNet places the eyes of a face lying sideways or upside down as if it stood upright. The
  // turned second look (detector option `orient`) finds which way is up; models:detectors
  // measures it on every release and ships it only within its cost rule (models/DETECTION.md),
  // so it is tested here switched on, as detector.json would switch it on.
  describe('with the turned second look', () => {
    let oriented: Analyzer;
    beforeAll(async () => {
      oriented = await Analyzer.create({ detector: { orient: { context: 2, size: 64 } } });
    });

    it.each([90, 180, 270])(
      'reads a face turned %i° the right way up: found, levelled by its eyes, still happy',
      async (degrees) => {
        const turned = await sharp(photo('skimage_astronaut.png')).rotate(degrees).png().toBuffer();
        const analysis = await oriented.analyze(turned);
        expect(analysis.faces).toHaveLength(1);
        const { keypoints, dominant } = analysis.faces[0];
        // The eye line turned with the picture, and the mouth is below the eyes as the face sees it.
        const roll = (faceRoll(keypoints) * 180) / Math.PI;
        expect(Math.abs(((((roll - degrees) % 360) + 540) % 360) - 180)).toBeLessThan(25);
        expect(dominant).toBe('happy');
      },
    );
  });

  it('finds a face tilted by 25° and still reads it', async () => {
    // YuNet's eye landmarks follow a tilt only partly (this one reads about 12° of the 25°), so
    // the crop is levelled only partly; the expression must survive that.
    const tilted = await sharp(photo('skimage_astronaut.png'))
      .rotate(25, { background: '#808080' })
      .png()
      .toBuffer();
    const analysis = await analyzeImage(tilted);
    expect(analysis.faces).toHaveLength(1);
    expect(analysis.faces[0].dominant).toBe('happy');
  });
});
