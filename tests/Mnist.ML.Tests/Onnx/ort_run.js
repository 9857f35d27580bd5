// Runs an ONNX model with ONNX Runtime for Node (onnxruntime-node 1.30, CPU) for the parity tests.
// Usage: node ort_run.js MODEL INPUT.bin BATCH OUT_PREFIX [THREADS]
//   INPUT.bin: little-endian float32 images, each 1x28x28; runs them in batches of BATCH.
//   Writes OUT_PREFIX.<output name>.bin (float32, all images concatenated) per model output.
const fs = require('fs');
const path = require('path');

const repo = path.resolve(__dirname, '..', '..', '..');
const ort = require(path.join(repo, 'tools', 'node', 'node_modules', 'onnxruntime-node'));

async function main() {
  const [model, inputPath, batchText, outPrefix, threadsText] = process.argv.slice(2);
  const batch = parseInt(batchText, 10);
  const threads = parseInt(threadsText || '1', 10);
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: threads, interOpNumThreads: 1 });
  const bytes = fs.readFileSync(inputPath);
  const all = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const count = all.length / 784;
  const outputs = {};
  for (const name of session.outputNames) outputs[name] = [];
  for (let start = 0; start < count; start += batch) {
    const n = Math.min(batch, count - start);
    const input = new ort.Tensor('float32', all.slice(start * 784, (start + n) * 784), [n, 1, 28, 28]);
    const result = await session.run({ [session.inputNames[0]]: input });
    for (const name of session.outputNames) outputs[name].push(Buffer.from(result[name].data.buffer.slice(0)));
  }
  for (const name of session.outputNames) fs.writeFileSync(`${outPrefix}.${name}.bin`, Buffer.concat(outputs[name]));
  console.log(`ort ${ort.env.versions ? JSON.stringify(ort.env.versions) : ''} ran ${count} images: ${session.outputNames.join(', ')}`);
}

main().catch(e => { console.error(e); process.exit(1); });
