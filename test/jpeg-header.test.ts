/**
 * The JPEG header read in JavaScript must say what sharp says of the same file (size, EXIF
 * orientation, ICC profile), and give up, so that sharp is asked, on anything it does not
 * fully understand.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodeImage } from '../functions/core';
import { readJpegHeader } from '../functions/core/jpegHeader';
import { PHOTOS } from './support/sharedData';

const photo = readFileSync(join(PHOTOS, 'faceapi_sample1.jpg'));

/** A small JPEG to build on; sharp writes no EXIF or ICC unless asked. */
const plainJpeg = (): Promise<Buffer> => sharp(photo).resize(96, 64).jpeg().toBuffer();

/** The JPEG with marker segments inserted right after its start-of-image marker. */
function withSegments(jpeg: Buffer, segments: { marker: number; payload: Buffer }[]): Buffer {
  const encoded = segments.map(({ marker, payload }) => {
    const head = Buffer.from([0xff, marker, 0, 0]);
    head.writeUInt16BE(payload.length + 2, 2);
    return Buffer.concat([head, payload]);
  });
  return Buffer.concat([jpeg.subarray(0, 2), ...encoded, jpeg.subarray(2)]);
}

/** The JPEG with a marker segment inserted just before its first scan (SOS), after the frame header. */
function withSegmentBeforeScan(jpeg: Buffer, segment: { marker: number; payload: Buffer }): Buffer {
  const scan = jpeg.indexOf(Buffer.from([0xff, 0xda]));
  const withIt = withSegments(jpeg.subarray(scan - 2), [segment]);
  return Buffer.concat([jpeg.subarray(0, scan), withIt.subarray(2)]);
}

/** An EXIF segment's payload whose first IFD holds only the orientation tag, in either byte order. */
function exifPayload(orientation: number, order: 'II' | 'MM'): Buffer {
  const tiff = Buffer.alloc(8 + 2 + 12 + 4);
  const little = order === 'II';
  const u16 = (value: number, at: number) =>
    little ? tiff.writeUInt16LE(value, at) : tiff.writeUInt16BE(value, at);
  const u32 = (value: number, at: number) =>
    little ? tiff.writeUInt32LE(value, at) : tiff.writeUInt32BE(value, at);
  tiff.write(order, 0, 'latin1');
  u16(42, 2);
  u32(8, 4);
  u16(1, 8); // one entry
  u16(0x0112, 10);
  u16(3, 12); // SHORT
  u32(1, 14);
  u16(orientation, 18);
  return Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
}

async function expectSameAsSharp(jpeg: Buffer): Promise<void> {
  const meta = await sharp(jpeg).metadata();
  const header = readJpegHeader(jpeg);
  expect(header).toBeDefined();
  expect(header).toEqual({
    width: meta.width,
    height: meta.height,
    orientation: meta.orientation ?? 1,
    ...(meta.icc && { icc: meta.icc }),
  });
}

describe('the JPEG header read in JavaScript', () => {
  it('says what sharp says of a plain JPEG, a progressive one and a photo', async () => {
    await expectSameAsSharp(await plainJpeg());
    await expectSameAsSharp(await sharp(photo).resize(96).jpeg({ progressive: true }).toBuffer());
    await expectSameAsSharp(photo);
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('reads EXIF orientation %i as sharp writes it', async (orientation) => {
    await expectSameAsSharp(
      await sharp(await plainJpeg())
        .withMetadata({ orientation })
        .toBuffer(),
    );
  });

  it.each(['II', 'MM'] as const)('reads orientation 6 from %s (either byte order) EXIF', async (order) => {
    const jpeg = withSegments(await plainJpeg(), [{ marker: 0xe1, payload: exifPayload(6, order) }]);
    await expectSameAsSharp(jpeg);
    // And the decoder turns the picture as sharp would: 96×64 stored, 64×96 displayed.
    const decoded = await decodeImage(jpeg);
    expect([decoded.width, decoded.height, decoded.fullWidth, decoded.fullHeight]).toEqual([64, 96, 64, 96]);
  });

  it('reads an EXIF segment written after the frame header, as libjpeg does', async () => {
    const jpeg = withSegmentBeforeScan(await plainJpeg(), { marker: 0xe1, payload: exifPayload(8, 'II') });
    await expectSameAsSharp(jpeg);
    expect(readJpegHeader(jpeg)?.orientation).toBe(8);
  });

  it('joins an ICC profile written in several chunks, in their order', async () => {
    const icc = (
      await sharp(await plainJpeg())
        .withIccProfile('p3')
        .toBuffer()
        .then((b) => sharp(b).metadata())
    ).icc!;
    const chunk = (sequence: number, part: Buffer) =>
      Buffer.concat([Buffer.from('ICC_PROFILE\0', 'latin1'), Buffer.from([sequence, 2]), part]);
    const half = Math.floor(icc.length / 2);
    // Written second chunk first: the sequence numbers, not the file order, decide.
    const jpeg = withSegments(await plainJpeg(), [
      { marker: 0xe2, payload: chunk(2, icc.subarray(half)) },
      { marker: 0xe2, payload: chunk(1, icc.subarray(0, half)) },
    ]);
    expect(readJpegHeader(jpeg)?.icc).toEqual(icc);
  });

  it('reads the profile sharp embeds, so a Display P3 photo is still converted to sRGB', async () => {
    const p3 = await sharp(photo).resize(96, 64).withIccProfile('p3').jpeg().toBuffer();
    await expectSameAsSharp(p3);
    const converted = await decodeImage(p3);
    const ignored = await sharp(p3, { ignoreIcc: true }).raw().toBuffer();
    expect(Buffer.compare(Buffer.from(converted.data), ignored)).not.toBe(0);
  });

  it('gives up, for sharp to answer, on what it does not fully understand', async () => {
    const jpeg = await plainJpeg();
    const png = await sharp(jpeg).png().toBuffer();
    const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
    const noHeight = Buffer.from(jpeg);
    noHeight.writeUInt16BE(0, sof + 5); // height 0: it would come in a DNL segment
    expect(readJpegHeader(png)).toBeUndefined();
    expect(readJpegHeader(jpeg.subarray(0, sof))).toBeUndefined(); // ends before the frame header
    expect(readJpegHeader(noHeight)).toBeUndefined();
    expect(
      readJpegHeader(withSegments(jpeg, [{ marker: 0xe1, payload: exifPayload(9, 'II') }])),
    ).toBeUndefined();
    const twoExif = withSegments(jpeg, [
      { marker: 0xe1, payload: exifPayload(6, 'II') },
      { marker: 0xe1, payload: exifPayload(3, 'MM') },
    ]);
    expect(readJpegHeader(twoExif)).toBeUndefined(); // which one sharp reads is not guessed
    const brokenExif = exifPayload(6, 'II');
    brokenExif.writeUInt32LE(4000, 6 + 4); // first IFD past the end
    expect(readJpegHeader(withSegments(jpeg, [{ marker: 0xe1, payload: brokenExif }]))).toBeUndefined();
  });
});
