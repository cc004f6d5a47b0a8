/** `memegen job-id`: where a `gsutil cp` upload's meme appears. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { jobIdFor } from '../functions/cloud/jobs';

const BIN = join(__dirname, '..', 'bin', 'memegen.js');

describe('memegen job-id', () => {
  it('prints the id the analyze function gives the object, and its status URL', () => {
    const out = execFileSync(
      process.execPath,
      [BIN, 'job-id', 'gs://memegen-inbox/my photo.jpg#1712345678901234', '--json'],
      {
        env: { ...process.env, PUBLIC_BASE_URL: 'https://storage.googleapis.com/memegen-public/' },
        encoding: 'utf8',
      },
    );
    const id = jobIdFor({ bucket: 'memegen-inbox', name: 'my photo.jpg', generation: '1712345678901234' });
    expect(JSON.parse(out)).toEqual([
      {
        url: 'gs://memegen-inbox/my photo.jpg#1712345678901234',
        id,
        statusUrl: `https://storage.googleapis.com/memegen-public/memes/${id}.json`,
      },
    ]);
  });

  it('explains the expected form when the generation is missing (exit 2)', () => {
    expect(() =>
      execFileSync(process.execPath, [BIN, 'job-id', 'gs://memegen-inbox/photo.jpg'], { stdio: 'pipe' }),
    ).toThrow(/gsutil ls -a/);
  });
});
