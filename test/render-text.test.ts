/** Caption text handling: cleaning, line breaking and size fitting (pure, fake metrics). */
import { cleanCaption, MAX_CAPTION_GRAPHEMES, memeCase, splitGraphemes } from '../functions/core/render/text';
import {
  balancedLines,
  breakUnits,
  ELLIPSIS,
  fitText,
  FitRules,
  wrapLines,
} from '../functions/core/render/wrap';

/** Every grapheme is one unit wide per pixel of font size: predictable, like a monospace font. */
const mono = (text: string, size = 1): number => splitGraphemes(text).length * size;

describe('cleanCaption', () => {
  it('drops control and bidi-override characters, collapses whitespace and trims', () => {
    expect(cleanCaption('  hello\u0000\u0007 \n\tworld\u202e!  ')).toBe('hello world!');
  });

  it('keeps emoji, CJK, Arabic and combining marks intact and in NFC form', () => {
    expect(cleanCaption('e\u0301 👍🏽 你好 مرحبا')).toBe('\u00e9 👍🏽 你好 مرحبا');
  });

  it('cuts a 2,000-character caption to the longest block that can be drawn, between graphemes', () => {
    const cleaned = cleanCaption('👨‍👩‍👧 '.repeat(1000));
    expect(splitGraphemes(cleaned).length).toBeLessThanOrEqual(MAX_CAPTION_GRAPHEMES);
    expect(cleaned.endsWith('👨‍👩‍👧')).toBe(true);
  });

  it('returns an empty string when nothing drawable is left', () => {
    expect(cleanCaption('\u0000\u0001  \n')).toBe('');
  });
});

describe('memeCase', () => {
  it('upper-cases Latin text and leaves scripts without case alone', () => {
    expect(memeCase('when the café is closed 周一')).toBe('WHEN THE CAFÉ IS CLOSED 周一');
  });
});

describe('line breaking', () => {
  it('breaks at spaces and never puts punctuation at the start of a line', () => {
    const lines = wrapLines('one unbothered, one thrilled', 15, (t) => mono(t));
    expect(lines).toEqual(['one unbothered,', 'one thrilled']);
    expect(lines.every((line) => !/^[,.!?]/.test(line))).toBe(true);
  });

  it('wraps Chinese between words, keeping closing punctuation on the line before', () => {
    const lines = wrapLines('周一早上的闹钟，我跟它有仇。', 6, (t) => mono(t));
    expect(lines.join('')).toBe('周一早上的闹钟，我跟它有仇。');
    expect(lines.every((line) => mono(line) <= 6 || mono(line) === 1)).toBe(true);
    expect(lines.every((line) => !/^[，。]/.test(line))).toBe(true);
  });

  it('splits a word longer than the line between graphemes, never inside an emoji', () => {
    const lines = wrapLines('a👍🏽👍🏽👍🏽👍🏽b', 2, (t) => mono(t));
    expect(lines.join('')).toBe('a👍🏽👍🏽👍🏽👍🏽b');
    expect(lines.every((line) => mono(line) <= 2)).toBe(true);
  });

  it('keeps a space-free Latin word whole when it fits', () => {
    expect(breakUnits('hello, world')).toEqual(['hello, ', 'world']);
  });

  it('balances lines instead of leaving a short last line', () => {
    const text = 'when the group chat goes quiet right after you';
    const greedy = wrapLines(text, 40, (t) => mono(t));
    const balanced = balancedLines(text, 40, (t) => mono(t));
    expect(balanced.length).toBe(greedy.length);
    const spread = (lines: string[]): number =>
      Math.max(...lines.map((l) => mono(l))) - Math.min(...lines.map((l) => mono(l)));
    expect(spread(balanced)).toBeLessThan(spread(greedy));
  });
});

describe('fitText', () => {
  const rules: FitRules = {
    maxWidth: 100,
    maxHeight: 60,
    maxLines: 3,
    maxSize: 40,
    minSize: 5,
    lineHeight: 1,
  };

  it('draws a one-character caption at the largest size allowed', () => {
    expect(fitText('A', rules, mono)).toMatchObject({ size: 40, lines: ['A'], truncated: false });
  });

  it('shrinks until the text fits in at most 3 lines and the box height', () => {
    const fitted = fitText('the quick brown fox jumps over the lazy dog', rules, mono);
    expect(fitted.truncated).toBe(false);
    expect(fitted.lines.length).toBeLessThanOrEqual(3);
    expect(fitted.lines.length * fitted.size).toBeLessThanOrEqual(60);
    expect(Math.max(...fitted.widths)).toBeLessThanOrEqual(100);
    // Half a pixel larger would not fit: the size is the largest that does.
    const bigger = fitText(
      'the quick brown fox jumps over the lazy dog',
      { ...rules, maxSize: fitted.size + 0.5, minSize: fitted.size + 0.5 },
      mono,
    );
    expect(bigger.truncated).toBe(true);
  });

  it('shortens text with an ellipsis at the minimum size instead of going smaller', () => {
    const fitted = fitText('word '.repeat(400), rules, mono);
    expect(fitted).toMatchObject({ size: 5, truncated: true });
    expect(fitted.lines.length).toBe(3);
    expect(fitted.lines[2]!.endsWith(ELLIPSIS)).toBe(true);
    expect(Math.max(...fitted.widths)).toBeLessThanOrEqual(100);
  });

  it('goes below the minimum size only when one line would not fit the box height', () => {
    const fitted = fitText('tiny picture', { ...rules, maxHeight: 3 }, mono);
    expect(fitted.size * fitted.lines.length).toBeLessThanOrEqual(3);
  });

  it('starts a new line at each newline (setup and punchline)', () => {
    expect(fitText('nobody:\nme:', rules, mono).lines).toEqual(['nobody:', 'me:']);
  });
});
