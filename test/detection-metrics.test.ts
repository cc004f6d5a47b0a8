/** Detector scoring: what counts as found, missed and false. */
import { parseAnnotations, scoreDetections } from '../models/eval/detection';

const face = (x: number, y: number, size: number, invalid = 0) => ({
  x,
  y,
  width: size,
  height: size,
  invalid,
});

describe('scoreDetections', () => {
  it('counts a hit at IoU ≥ 0.5, a miss below it, and each annotation only once', () => {
    const truth = [face(0, 0, 100), face(300, 0, 100)];
    const detections = [
      { ...face(10, 10, 100), score: 0.9 }, // IoU 0.68 with the first face
      { ...face(5, 5, 100), score: 0.8 }, // duplicate of the first: a false positive
      { ...face(360, 0, 100), score: 0.7 }, // IoU 0.25 with the second: a false positive and a miss
    ];
    const m = scoreDetections([{ truth, detections }], 64, 0.5);
    expect(m).toMatchObject({
      faces: 2,
      found: 1,
      recall: 0.5,
      falsePositives: 2,
      falsePositivesPerImage: 2,
    });
  });

  it('leaves small and invalid faces out of recall without calling their detections false', () => {
    const truth = [face(0, 0, 40), face(200, 0, 100, 1), face(400, 0, 100)];
    const detections = [
      { ...face(0, 0, 40), score: 0.9 },
      { ...face(200, 0, 100), score: 0.9 },
    ];
    const m = scoreDetections([{ truth, detections }], 64, 0.5);
    expect(m).toMatchObject({ faces: 1, found: 0, falsePositives: 0 });
  });

  it('reads WIDER-style annotations with w/h', () => {
    const [img] = parseAnnotations([{ file: 'a.jpg', faces: [{ x: 1, y: 2, w: 3, h: 4, invalid: 0 }] }]);
    expect(img.faces[0]).toEqual({ x: 1, y: 2, width: 3, height: 4, invalid: 0 });
    expect(() => parseAnnotations({})).toThrow(/array/);
  });
});
