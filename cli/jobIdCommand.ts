/** `memegen job-id gs://BUCKET/OBJECT#GENERATION`: where the meme of a `gsutil cp` upload appears. */
import { jobIdFor, parseGsUrl } from '../functions/cloud/jobs';
import { statusObjectName } from '../functions/cloud/status';
import { UsageError } from './usage';

export function jobIdCommand(urls: string[], publicBaseUrl: string | undefined, json: boolean): number {
  if (urls.length === 0)
    throw new UsageError(
      'needs gs://BUCKET/OBJECT#GENERATION (from `gsutil ls -a gs://BUCKET/OBJECT`)',
      'job-id',
    );
  const base = (publicBaseUrl ?? process.env.PUBLIC_BASE_URL)?.replace(/\/+$/, '');
  const rows = urls.map((url) => {
    let object;
    try {
      object = parseGsUrl(url);
    } catch (error) {
      throw new UsageError((error as Error).message, 'job-id');
    }
    const id = jobIdFor(object);
    return { url, id, ...(base && { statusUrl: `${base}/${statusObjectName(id)}` }) };
  });
  if (json) console.log(JSON.stringify(rows, null, 2));
  else
    for (const row of rows) console.log(`${row.url}  ${row.id}${row.statusUrl ? `  ${row.statusUrl}` : ''}`);
  return 0;
}
