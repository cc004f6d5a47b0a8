// Jest runs each test file in its own VM realm, so `new Float32Array()` made in a
// test is not `instanceof` the Float32Array that onnxruntime-common checks
// against. Sharing the host realm's typed-array constructors fixes that without
// changing what the tests exercise.
const { TestEnvironment } = require('jest-environment-node');

const SHARED = [
  'ArrayBuffer',
  'SharedArrayBuffer',
  'DataView',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int8Array',
  'Uint16Array',
  'Int16Array',
  'Uint32Array',
  'Int32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
];

class HostTypedArrayEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
    // The tests never run on Google Cloud: the Google clients must not probe for a metadata
    // server (the probe fails after a wait and prints MetadataLookupWarning).
    this.global.process.env.METADATA_SERVER_DETECTION ??= 'none';
  }
}

module.exports = HostTypedArrayEnvironment;
