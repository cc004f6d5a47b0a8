import { createHash, type Hash } from 'node:crypto';

// GCS reports CRC32C (Castagnoli) and MD5 of every object, and @google-cloud/storage
// validates downloads and uploads against them, so both must be real values computed
// over the exact stored bytes.

const CASTAGNOLI_REVERSED = 0x82f63b78;

const TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ CASTAGNOLI_REVERSED : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export interface ContentDigest {
  size: number;
  /** base64 of the 16-byte MD5, as in the object resource's md5Hash */
  md5Hash: string;
  /** base64 of the big-endian 4-byte CRC32C, as in the object resource's crc32c */
  crc32c: string;
}

/** Incremental digest of a byte stream, fed chunk by chunk while it is written to disk. */
export class ContentHasher {
  private crc = 0xffffffff;
  private readonly md5: Hash = createHash('md5');
  private bytes = 0;

  update(chunk: Buffer): void {
    let crc = this.crc;
    for (let i = 0; i < chunk.length; i++) crc = TABLE[(crc ^ chunk[i]) & 0xff] ^ (crc >>> 8);
    this.crc = crc;
    this.md5.update(chunk);
    this.bytes += chunk.length;
  }

  get size(): number {
    return this.bytes;
  }

  digest(): ContentDigest {
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE((this.crc ^ 0xffffffff) >>> 0);
    return { size: this.bytes, md5Hash: this.md5.digest('base64'), crc32c: crc.toString('base64') };
  }
}
