// The typed client in a few lines: submit LeNet-5 on 2,000 Fashion-MNIST images, watch each epoch,
// then ask the trained model about a blank image. Run it against `npm start`:
//   CONVOY_API_KEY=$(cat .convoy/admin.key) npx tsx examples/typescript/train-and-predict.ts
import { Convoy, ConvoyError } from 'convoy/client';

const convoy = new Convoy({ baseUrl: process.env.CONVOY_URL ?? 'http://127.0.0.1:3000', apiKey: process.env.CONVOY_API_KEY ?? '' });

try {
  const { id } = await convoy.submit({
    name: 'typescript-example',
    model: { preset: 'lenet5' },
    dataset: { builtin: 'fashion-mnist', trainSize: 2000, testSize: 500 },
    training: { epochs: 2, batchSize: 64, optimizer: { type: 'adam', learningRate: 0.001 }, seed: 42 },
  });
  // Events as they happen; a dropped connection is resumed where it stopped (Last-Event-ID).
  for await (const event of convoy.follow(id)) {
    if (event.type === 'epoch') console.log(`epoch ${event.data.epoch}: test accuracy ${event.data.metrics.testAccuracy}`);
    if (event.type === 'completed') console.log(`done: ${event.data.weights.bytes} bytes of weights`);
  }
  const { predictions } = await convoy.predict(id, [Array(784).fill(0)]);
  console.log(`a blank image is class ${predictions[0]!.label}`);
  const safetensors = await convoy.weights(id); // ArrayBuffer: loads into PyTorch
  console.log(`weights: ${safetensors.byteLength} bytes`);
} catch (err) {
  // Every error is a problem naming what is wrong: err.status, err.field, err.code, err.detail.
  if (err instanceof ConvoyError) console.error(`${err.status} ${err.detail} (${err.field ?? 'no field'})`);
  throw err;
}
