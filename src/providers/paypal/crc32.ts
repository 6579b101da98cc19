/**
 * CRC-32 (ISO-HDLC, the zlib and Java `java.util.zip.CRC32` one) of the raw body, which PayPal
 * signs as an unsigned decimal. Node's `zlib.crc32` exists from 20.15 and 22.2; older Node 20
 * releases use the table below, which gives the same values (both are tested on known vectors).
 */
import * as zlib from 'node:zlib';

/** The reflected polynomial 0xEDB88320, one entry per byte value. */
let table: Uint32Array | undefined;

function crcTable(): Uint32Array {
  if (table !== undefined) return table;
  table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/** CRC-32 by table, for Node releases without `zlib.crc32`. */
export function tableCrc32(data: Uint8Array): number {
  const t = crcTable();
  let crc = 0xffffffff;
  for (const byte of data) crc = (t[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const native = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

/**
 * The CRC-32 of `data` as an unsigned 32-bit integer (`'123456789'` → 3421780262).
 *
 * @example
 * crc32(Buffer.from(rawBody)); // the last field of PayPal's signed string, in decimal
 */
export function crc32(data: Uint8Array): number {
  return native === undefined ? tableCrc32(data) : native(data) >>> 0;
}
