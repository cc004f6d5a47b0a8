/** Which characters the bundled CJK font keeps (see subsetCjk.ts for why it is a subset). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const CJK_SOURCE_FONT = '@expo-google-fonts/noto-sans-sc/700Bold/NotoSansSC_700Bold.ttf';
export const CJK_SUBSET_FILE = 'NotoSansSC-Bold-GB2312.ttf';

/** Every character of the GB2312 set, decoded from its two-byte codes with Node's GBK decoder. */
export function gb2312Characters(): string[] {
  const decoder = new TextDecoder('gbk');
  const characters: string[] = [];
  for (let high = 0xa1; high <= 0xf7; high++) {
    for (let low = 0xa1; low <= 0xfe; low++) {
      const text = decoder.decode(new Uint8Array([high, low]));
      if (text.length === 1 && text !== '\ufffd') characters.push(text);
    }
  }
  return characters;
}

export function cjkSubsetCharacters(): string {
  const characters = new Set<string>(gb2312Characters());
  for (let code = 0x20; code < 0x7f; code++) characters.add(String.fromCharCode(code));
  for (let code = 0x3000; code <= 0x303f; code++) characters.add(String.fromCharCode(code));
  for (let code = 0xff01; code <= 0xff5e; code++) characters.add(String.fromCharCode(code));
  const captions = readFileSync(join(__dirname, '..', '..', 'core', 'captions', 'zh.json'), 'utf8');
  for (const character of captions) if (character.codePointAt(0)! > 0x7f) characters.add(character);
  return [...characters].sort().join('');
}
