/**
 * Our YuNet decoder on real photos, against boxes and landmarks checked by eye once and kept
 * as fixtures; its views (scaled, framed, turned) map points back where they came from; and
 * no picture shape breaks the padding or the decoding.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { analyzeImage } from '../functions/core/analyze';
import { DetectedFace, DetectorOptions, FaceDetector, Keypoints } from '../functions/core/detect/detector';
import { scaledView, shrunkView, turnedView } from '../functions/core/detect/views';
import { yunetInput } from '../functions/core/detect/yunet';
import { iou } from '../functions/core/geometry';
import { decodeImage } from '../functions/core/image';
import { readManifest } from '../functions/core/manifest';
import { PHOTOS } from './support/sharedData';

interface Fixture {
  options: DetectorOptions;
  faces: Record<string, { score: number; box: DetectedFace['box']; keypoints: Keypoints }[]>;
}

const fixture = JSON.parse(
  readFileSync(join(__dirname, 'fixtures', 'yunet', 'faces.json'), 'utf8'),
) as Fixture;

describe('YuNet decoder on the bundled photos', () => {
  let detector: FaceDetector;
  beforeAll(async () => {
    detector = await FaceDetector.load(readManifest(), fixture.options);
  });

  it.each(Object.keys(fixture.faces))(
    'finds the faces of %s with their boxes and landmarks',
    async (name) => {
      const image = await decodeImage(readFileSync(join(PHOTOS, name)));
      const found = (await detector.detect(image)).sort((a, b) => a.box.x - b.box.x);
      const expected = fixture.faces[name]!;
      expect(found).toHaveLength(expected.length);
      found.forEach((face, i) => {
        const want = expected[i]!;
        expect(iou(face.box, want.box)).toBeGreaterThan(0.95);
        expect(face.score).toBeCloseTo(want.score, 2);
        // Landmarks within 2 % of the face's size of where they were checked.
        const tolerance = 0.02 * Math.max(want.box.width, want.box.height);
        for (const key of ['rightEye', 'leftEye', 'nose', 'mouth'] as const) {
          expect(Math.abs(face.keypoints[key].x - want.keypoints[key].x)).toBeLessThan(tolerance);
          expect(Math.abs(face.keypoints[key].y - want.keypoints[key].y)).toBeLessThan(tolerance);
        }
      });
    },
  );

  it('finds the same faces, landmarks mapped back, in the picture turned upside down by a turned pass', async () => {
    const name = 'skimage_astronaut.png';
    const turned = await decodeImage(
      await sharp(readFileSync(join(PHOTOS, name)))
        .rotate(180)
        .png()
        .toBuffer(),
    );
    const upsideDown = await FaceDetector.load(readManifest(), { ...fixture.options, turns: [2] });
    const [face] = await upsideDown.detect(turned);
    const [want] = fixture.faces[name]!;
    // The fixture's points, turned half a turn with the picture.
    const turn = (p: { x: number; y: number }) => ({ x: turned.width - p.x, y: turned.height - p.y });
    const box = {
      x: turned.width - want!.box.x - want!.box.width,
      y: turned.height - want!.box.y - want!.box.height,
      width: want!.box.width,
      height: want!.box.height,
    };
    expect(iou(face!.box, box)).toBeGreaterThan(0.8);
    const tolerance = 0.05 * want!.box.height;
    for (const key of ['rightEye', 'leftEye', 'mouth'] as const) {
      expect(
        Math.hypot(
          face!.keypoints[key].x - turn(want!.keypoints[key]).x,
          face!.keypoints[key].y - turn(want!.keypoints[key]).y,
        ),
      ).toBeLessThan(tolerance);
    }
  });
});

describe('detector views', () => {
  const picture = { width: 300, height: 200, data: new Uint8Array(300 * 200 * 3).fill(90) };

  it('map a point of a scaled, framed view back to the picture', async () => {
    const view = await scaledView(picture, { longSide: 150, margin: 0.25 });
    // 300 px long side + 2 × 25 % margin = 150 px: the picture is scaled by 1/3 (100×67) in a 25-px frame.
    expect([view.width, view.height]).toEqual([150, 117]);
    const p = view.toPicture({ x: 25 + 50, y: 25 + 10 });
    expect(p.x).toBeCloseTo(150, 5);
    expect(Math.abs(p.y - 30)).toBeLessThan(0.5); // 200 px became 67, not 66.7
  });

  it.each([1, 2, 3])(
    'map a point of a view turned %i quarter turn(s) back to the same picture point',
    async (turns) => {
      const view = await scaledView(picture, { longSide: 300 });
      const turned = turnedView(view, turns);
      expect([turned.width, turned.height]).toEqual(turns === 2 ? [300, 200] : [200, 300]);
      // Pixel (40, 10) of the picture, marked, is found in the turned view and mapped back.
      const marked = { ...view, pixels: Uint8Array.from(view.pixels) };
      marked.pixels.set([255, 0, 0], (10 * 300 + 40) * 3);
      const pixels = turnedView(marked, turns).pixels;
      const at = pixels.findIndex((v, i) => i % 3 === 0 && v === 255) / 3;
      const centre = turned.toPicture({
        x: (at % turned.width) + 0.5,
        y: Math.floor(at / turned.width) + 0.5,
      });
      expect(centre.x).toBeCloseTo(40.5, 5);
      expect(centre.y).toBeCloseTo(10.5, 5);
    },
  );
});

describe('the close-up view, shrunk from the main view by a whole factor', () => {
  // A 10×7 view whose red channel is the column and green the row; blue is constant.
  const view = {
    width: 10,
    height: 7,
    pixels: Uint8Array.from({ length: 10 * 7 * 3 }, (_, i) =>
      i % 3 === 0 ? Math.floor(i / 3) % 10 : i % 3 === 1 ? Math.floor(i / 30) : 50,
    ),
    toPicture: (p: { x: number; y: number }) => ({ x: 2 * p.x, y: 2 * p.y + 100 }),
  };

  it('averages each block, drops the leftover edge and maps back through the view', () => {
    const shrunk = shrunkView(view, 3);
    expect([shrunk.width, shrunk.height]).toEqual([3, 2]);
    // Block (1, 1): columns 3-5 (mean 4), rows 3-5 (mean 4).
    expect(Array.from(shrunk.pixels.subarray((1 * 3 + 1) * 3, (1 * 3 + 1) * 3 + 3))).toEqual([4, 4, 50]);
    expect(shrunk.toPicture({ x: 1.5, y: 1 })).toEqual({ x: 9, y: 106 });
  });

  it('keeps one row or column of a view thinner than the factor', () => {
    const strip = { ...view, width: 10, height: 2, pixels: view.pixels.slice(0, 10 * 2 * 3) };
    const shrunk = shrunkView(strip, 5);
    expect([shrunk.width, shrunk.height]).toEqual([2, 1]);
    // Columns 5-9 (mean 7), rows 0-1 (mean 0.5, rounded up).
    expect(Array.from(shrunk.pixels.subarray(3, 6))).toEqual([7, 1, 50]);
  });

  it('refuses a factor that is not a whole number', () => {
    expect(() => shrunkView(view, 2.5)).toThrow(/whole number/);
  });
});

describe('pictures of any shape', () => {
  const plain = (width: number, height: number) =>
    sharp({ create: { width, height, channels: 3, background: '#8a9bb0' } })
      .png()
      .toBuffer();

  it.each([
    [1, 1],
    [20000, 20],
    [20, 20000],
    [31, 33],
  ])('analyses a %i×%i picture without a face: no crash, no face', async (width, height) => {
    const analysis = await analyzeImage(await plain(width, height));
    expect(analysis).toEqual({ width, height, faces: [] });
  });

  it('runs every pass (turned, close-up) on a 1×1 picture without a crash', async () => {
    const detector = await FaceDetector.load(readManifest(), {
      ...fixture.options,
      turns: [1, 2, 3],
      closeUp: { below: 0.4, longSide: 128, margin: 0.5 },
    });
    expect(await detector.detect({ width: 1, height: 1, data: new Uint8Array([120, 110, 100]) })).toEqual([]);
  });
});

describe('the input buffer a detector keeps between runs', () => {
  const view = (width: number, height: number, value: number) => ({
    pixels: new Uint8Array(width * height * 3).fill(value),
    width,
    height,
    toPicture: (p: { x: number; y: number }) => p,
  });

  it('is cleared where the next, smaller picture has padding', () => {
    const kept = new Float32Array(3 * 64 * 64).fill(77);
    const small = view(40, 20, 9);
    const { data, buffer, dims } = yunetInput([small], 32, { mean: [0, 0, 0], scale: 1 }, kept);
    expect(buffer).toBe(kept);
    expect(dims).toEqual([1, 3, 32, 64]);
    expect(Array.from(data)).toEqual(Array.from(yunetInput([small], 32, { mean: [0, 0, 0], scale: 1 }).data));
    expect(data.filter((v) => v === 9)).toHaveLength(3 * 40 * 20);
    expect(data.filter((v) => v === 0)).toHaveLength(3 * (64 * 32 - 40 * 20));
  });

  it('is not used when it is too short, and is padded with the normalised black then', () => {
    const kept = new Float32Array(10);
    const { data, buffer } = yunetInput([view(33, 1, 100)], 32, { mean: [10, 20, 30], scale: 0.5 }, kept);
    expect(buffer).not.toBe(kept);
    expect(data).toHaveLength(3 * 64 * 32);
    // B plane: the pixel (100 - 10) · 0.5, the padding (0 - 10) · 0.5.
    expect([data[0], data[33], data[64 * 32 - 1]]).toEqual([45, -5, -5]);
    expect([data[64 * 32], data[2 * 64 * 32]]).toEqual([40, 35]);
  });

  // What is found must not depend on what ran before, nor on runs overlapping.
  it('finds exactly what a fresh detector finds, after a larger picture and while another run is in flight', async () => {
    const [tall, wide] = await Promise.all(
      ['faceapi_sample4.jpg', 'faceapi_sample1.jpg'].map((name) =>
        decodeImage(readFileSync(join(PHOTOS, name)), { maxLongSide: 640 }),
      ),
    );
    const fresh = async (image: typeof wide) =>
      (await FaceDetector.load(readManifest(), fixture.options, { intraOpNumThreads: 1 })).detect(image);
    const [tallAlone, wideAlone] = [await fresh(tall!), await fresh(wide!)];

    const reused = await FaceDetector.load(readManifest(), fixture.options, { intraOpNumThreads: 1 });
    expect(await reused.detect(tall!)).toEqual(tallAlone);
    expect(await reused.detect(wide!)).toEqual(wideAlone);
    expect(await Promise.all([reused.detect(wide!), reused.detect(tall!), reused.detect(wide!)])).toEqual([
      wideAlone,
      tallAlone,
      wideAlone,
    ]);
    expect(wideAlone.length).toBeGreaterThan(0);
  });
});
