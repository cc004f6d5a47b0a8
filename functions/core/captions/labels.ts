/** How an expression is named on a face tag, per language. */
import { Emotion } from '../emotions';
import { Language } from '../vocabulary';

const NAMES: Record<Language, Record<Emotion, string>> = {
  en: {
    angry: 'angry',
    disgust: 'disgusted',
    fear: 'scared',
    happy: 'happy',
    sad: 'sad',
    surprise: 'surprised',
    neutral: 'neutral',
  },
  zh: {
    angry: '生气',
    disgust: '嫌弃',
    fear: '害怕',
    happy: '开心',
    sad: '难过',
    surprise: '惊讶',
    neutral: '平静',
  },
};

const EMOJI: Record<Emotion, string> = {
  angry: '😠',
  disgust: '🤢',
  fear: '😨',
  happy: '😄',
  sad: '😢',
  surprise: '😮',
  neutral: '😐',
};

/** "😄 happy 92%": emoji, name, and the ensemble's probability rounded to a whole percent. */
export function expressionTag(emotion: Emotion, probability: number, lang: Language): string {
  return `${EMOJI[emotion]} ${NAMES[lang][emotion]} ${Math.round(probability * 100)}%`;
}

/** "😄 92%": the tag without the name, for a crowded picture. */
export function shortExpressionTag(emotion: Emotion, probability: number): string {
  return `${EMOJI[emotion]} ${Math.round(probability * 100)}%`;
}
