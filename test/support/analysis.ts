/** Hand-made analyses, so rendering tests don't depend on what the models see. */
import { AnalyzedFace, Box, Emotion, EMOTIONS, EmotionScores } from '../../functions/core';

export function syntheticFace(box: Box, dominant: Emotion, probability = 0.9): AnalyzedFace {
  const rest = (1 - probability) / (EMOTIONS.length - 1);
  const emotions = Object.fromEntries(
    EMOTIONS.map((e) => [e, e === dominant ? probability : rest]),
  ) as EmotionScores;
  const at = (fx: number, fy: number) => ({ x: box.x + fx * box.width, y: box.y + fy * box.height });
  return {
    box,
    keypoints: {
      rightEye: at(0.3, 0.35),
      leftEye: at(0.7, 0.35),
      nose: at(0.5, 0.55),
      mouth: at(0.5, 0.75),
      rightEar: at(0.05, 0.4),
      leftEar: at(0.95, 0.4),
    },
    score: 0.95,
    emotions,
    dominant,
  };
}
