/** The one label set every expression model is mapped onto (FER2013's order). */
export const EMOTIONS = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'] as const;
export type Emotion = (typeof EMOTIONS)[number];
export type EmotionScores = Record<Emotion, number>;

const ALIASES: Record<string, Emotion> = {
  angry: 'angry',
  anger: 'angry',
  disgust: 'disgust',
  disgusted: 'disgust',
  fear: 'fear',
  fearful: 'fear',
  happy: 'happy',
  happiness: 'happy',
  sad: 'sad',
  sadness: 'sad',
  surprise: 'surprise',
  surprised: 'surprise',
  neutral: 'neutral',
};

export function canonicalEmotion(label: string): Emotion {
  const emotion = ALIASES[label.toLowerCase()];
  if (!emotion) throw new Error(`unknown expression label "${label}"`);
  return emotion;
}
