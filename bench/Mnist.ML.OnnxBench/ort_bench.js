// ONNX Runtime (onnxruntime-node 1.30, CPU) side of scripts/bench-onnx.sh, measured like
// Mnist.ML.OnnxBench: batch-1 median of 2000 runs after 300 warm-up runs; batch-256 img/s over 30
// runs after 5 warm-up runs, best of 3 rounds. Usage: node ort_bench.js MODEL.onnx THREADS [MNIST_DIR]
const fs = require('fs');
const path = require('path');
const ort = require(path.resolve(__dirname, '..', '..', 'tools', 'node', 'node_modules', 'onnxruntime-node'));

async function main() {
  const [model, threadsText, mnistDir] = process.argv.slice(2);
  const threads = parseInt(threadsText, 10);
  const file = fs.readFileSync(path.join(mnistDir || 'data/mnist', 't10k-images-idx3-ubyte'));
  const images = new Float32Array(1024 * 784);
  for (let i = 0; i < images.length; i++) images[i] = file[16 + i] / 255;
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential' });
  const name = session.inputNames[0];
  const one = i => ({ [name]: new ort.Tensor('float32', images.subarray(i % 1024 * 784, (i % 1024 + 1) * 784), [1, 1, 28, 28]) });
  for (let i = 0; i < 300; i++) await session.run(one(i));
  const times = [];
  for (let i = 0; i < 2000; i++) {
    const start = process.hrtime.bigint();
    await session.run(one(i));
    times.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  times.sort((a, b) => a - b);
  const batch = i => ({ [name]: new ort.Tensor('float32', images.subarray(i % 4 * 256 * 784, (i % 4 + 1) * 256 * 784), [256, 1, 28, 28]) });
  for (let i = 0; i < 5; i++) await session.run(batch(i));
  let best = 0;
  for (let round = 0; round < 3; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < 30; i++) await session.run(batch(i));
    best = Math.max(best, 30 * 256 / (Number(process.hrtime.bigint() - start) / 1e9));
  }
  console.log(`RESULT ort ${path.basename(model, '.onnx')} threads ${threads} batch1_median_us ${times[1000].toFixed(1)} batch256_img_per_s ${best.toFixed(0)}`);
}

main().catch(e => { console.error(e); process.exit(1); });
