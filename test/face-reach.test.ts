// The measurement behind FACE_MARGINS: how far a person's face reaches beyond the detector's box.
import { measureFaceReach, overhang } from '../models/eval/faceReach';

test('the overhang is measured above, below and beyond the sides, in shares of the detected box', () => {
  const detected = { x: 100, y: 100, width: 100, height: 200 };
  // Annotated box: 40 px above (0.2 of the height), 10 px below (0.05), 15 px past the left side.
  const truth = { x: 85, y: 60, width: 110, height: 250 };
  const o = overhang(truth, detected);
  expect(o.forehead).toBeCloseTo(0.2);
  expect(o.chin).toBeCloseTo(0.05);
  expect(o.side).toBeCloseTo(0.15);
  // A box inside the detected one does not stick out anywhere.
  expect(overhang({ x: 110, y: 110, width: 50, height: 50 }, detected)).toEqual({
    forehead: 0,
    chin: 0,
    side: 0,
  });
});

test('each annotated face is paired with the detected box it overlaps most, once, and unmatched faces are left out', () => {
  const face = (x: number, y: number, size: number) => ({ x, y, width: size, height: size });
  const reach = measureFaceReach([
    {
      // Two faces side by side, both found; the detections sit 10 % of their height lower.
      truth: [face(0, 0, 100), face(300, 0, 100)],
      detected: [face(300, 10, 100), face(0, 10, 100)],
    },
    // A face the detector missed, and a false positive far away: no pair.
    { truth: [face(0, 0, 50)], detected: [face(500, 500, 50)] },
  ]);
  expect(reach.faces).toBe(2);
  expect(reach.forehead.median).toBeCloseTo(0.1);
  expect(reach.chin.median).toBe(0);
  expect(reach.side.p90).toBe(0);
});
