// The jobs the Submit view starts from: the README's examples (served from the repository's
// examples/ folder) and a quick one that finishes in seconds.

export const EXAMPLES = [
  {
    id: 'quick-mnist',
    title: 'Quick: a small CNN on 1,000 MNIST digits (seconds)',
    spec: {
      name: 'quick-mnist',
      model: {
        input: [1, 28, 28],
        layers: [
          { type: 'conv2d', filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' },
          { type: 'maxPool2d', poolSize: 2 },
          { type: 'flatten' },
          { type: 'dense', units: 10 },
        ],
      },
      dataset: { builtin: 'mnist', trainSize: 1000, testSize: 200 },
      training: { epochs: 3, batchSize: 32, optimizer: { type: 'adam', learningRate: 0.003 }, seed: 1 },
    },
  },
  { id: 'first-lenet', title: 'README walk-through: LeNet-5 on 2,000 Fashion-MNIST images', href: '/examples/first-lenet.json' },
  { id: 'fashion-cnn', title: 'The reference run: fashion-cnn on all of Fashion-MNIST (minutes)', href: '/examples/fashion-cnn.json' },
];

/** The example's job spec (fetched from our own server for the README's files). */
export async function loadExample(id) {
  const example = EXAMPLES.find((e) => e.id === id) ?? EXAMPLES[0];
  if (example.spec) return structuredClone(example.spec);
  const res = await fetch(example.href);
  if (!res.ok) throw new Error(`${example.href}: HTTP ${res.status}`);
  return res.json();
}

/** Model presets (src/engine/presets.ts). */
export const PRESETS = ['lenet5', 'fashion-cnn', 'fashion-resnet'];
