// Reading and writing the .npy files qrt's tools exchange: little-endian float32,
// C order, format versions 1.0 to 3.0 on reading, 1.0 on writing.
import { readFileSync, writeFileSync } from 'node:fs';

const MAGIC = '\x93NUMPY';

// Returns { shape, data: Float32Array }; throws an Error naming the file otherwise.
export function readNpy(path) {
  const bytes = readFileSync(path);
  const fail = (why) => {
    throw new Error(`${path}: ${why}`);
  };
  if (bytes.length < 10 || bytes.toString('latin1', 0, 6) !== MAGIC) fail('not a .npy file');
  const major = bytes[6];
  const lengthBytes = major === 1 ? 2 : 4;
  if (major < 1 || major > 3) fail(`unsupported .npy version ${major}`);
  const headerLength = lengthBytes === 2 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const dataOffset = 8 + lengthBytes + headerLength;
  if (dataOffset > bytes.length) fail('truncated header');
  const header = bytes.toString(major === 3 ? 'utf8' : 'latin1', 8 + lengthBytes, dataOffset);
  const descr = /'descr':\s*'([^']*)'/.exec(header)?.[1];
  if (descr !== '<f4') fail(`dtype ${descr ?? '?'}, expected float32 ('<f4')`);
  if (!/'fortran_order':\s*False/.test(header)) fail('Fortran order is not supported');
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (shapeText === undefined) fail('no shape in the header');
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s).map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) fail(`bad shape (${shapeText})`);
  const count = shape.reduce((a, b) => a * b, 1);
  if (bytes.length - dataOffset !== 4 * count) {
    fail(`${bytes.length - dataOffset} data bytes for shape (${shape.join(', ')}), ` +
      `expected ${4 * count}`);
  }
  // Copy: the file buffer's offset need not be 4-byte aligned.
  const data = new Float32Array(count);
  Buffer.from(data.buffer).set(bytes.subarray(dataOffset));
  return { shape, data };
}

export function writeNpy(path, shape, data) {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const prefix = Buffer.alloc(10);
  Buffer.from(MAGIC, 'latin1').copy(prefix);
  prefix[6] = 1;
  prefix.writeUInt16LE(header.length, 8);
  const payload = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  writeFileSync(path, Buffer.concat([prefix, Buffer.from(header, 'latin1'), payload]));
}
