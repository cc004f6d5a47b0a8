/**
 * Output file names that never collide within a run: photos a.jpg and a.png both make an
 * a.jpg meme, so the second becomes a-1.jpg (then a-2.jpg, …), in input order. Names are
 * compared without case, because macOS and Windows file systems do.
 */
export function uniqueNames(stems: readonly string[], extension: string): string[] {
  const taken = new Set<string>();
  return stems.map((stem) => {
    let name = stem + extension;
    for (let n = 1; taken.has(name.toLowerCase()); n++) name = `${stem}-${n}${extension}`;
    taken.add(name.toLowerCase());
    return name;
  });
}
