/**
 * The fonts memegen draws with, all bundled: Cloud Functions images carry no fonts worth
 * using, and a meme must look the same on every machine. Registered once per process.
 */
import { join } from 'node:path';
import { GlobalFonts } from './canvas';
import { findUpwards } from '../projectFiles';

/** Family names as registered (our own aliases, so a system font of the same name can't win). */
export const FAMILY = {
  /** Condensed heavy display face: the classic meme look (Impact-like, OFL). */
  impact: 'memegen Anton',
  /** Clean sans for the label band and face tags; also covers Greek and Cyrillic, which Anton lacks. */
  sans: 'memegen Inter',
  sansBold: 'memegen Inter Bold',
  cjk: 'memegen Noto Sans SC',
  arabic: 'memegen Noto Sans Arabic',
  /** Twemoji as a COLR font: colour emoji glyphs that fall back per character like any font. */
  emoji: 'memegen Twemoji',
} as const;

interface BundledFont {
  family: string;
  /** A package-relative path resolved through node_modules, or a file in functions/assets/fonts. */
  packageFile?: string;
  assetFile?: string;
}

const BUNDLED: readonly BundledFont[] = [
  { family: FAMILY.impact, packageFile: '@expo-google-fonts/anton/400Regular/Anton_400Regular.ttf' },
  { family: FAMILY.sans, packageFile: '@expo-google-fonts/inter/600SemiBold/Inter_600SemiBold.ttf' },
  { family: FAMILY.sansBold, packageFile: '@expo-google-fonts/inter/800ExtraBold/Inter_800ExtraBold.ttf' },
  { family: FAMILY.cjk, assetFile: 'NotoSansSC-Bold-GB2312.ttf' },
  {
    family: FAMILY.arabic,
    packageFile: '@expo-google-fonts/noto-sans-arabic/700Bold/NotoSansArabic_700Bold.ttf',
  },
  { family: FAMILY.emoji, packageFile: 'twemoji-colr-font/twemoji.woff2' },
];

/** Scripts the primary faces lack, tried in this order for each missing character. */
const FALLBACKS = [FAMILY.sansBold, FAMILY.cjk, FAMILY.arabic, FAMILY.emoji];

let registered = false;

/** Registers every bundled font; safe to call many times. Throws if a font file is missing. */
export function registerBundledFonts(): void {
  if (registered) return;
  for (const font of BUNDLED) {
    const path = font.packageFile ? require.resolve(font.packageFile) : assetPath(font.assetFile!);
    if (!GlobalFonts.registerFromPath(path, font.family)) {
      throw new Error(`could not register bundled font ${font.family} from ${path}`);
    }
  }
  registered = true;
}

/** A CSS font shorthand with the primary family first and the bundled fallbacks after it. */
export function fontShorthand(primary: string, sizePx: number): string {
  const families = [primary, ...FALLBACKS.filter((family) => family !== primary)];
  return `${sizePx.toFixed(2)}px ${families.map((family) => `"${family}"`).join(', ')}`;
}

function assetPath(file: string): string {
  return findUpwards(join('functions', 'assets', 'fonts', file), `bundled font ${file}`);
}
