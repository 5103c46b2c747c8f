// describe() for a residual block: { type: 'residual', layers: [...], shortcut?: { stride, useBias } }.
//
//   output = layers(x) + shortcut(x)
//
// Without a shortcut, shortcut(x) = x, so the block's layers must give back the input's shape.
// With one, the shortcut is a 1x1 conv2d with the given stride to the layers' output channels
// (PyTorch: `nn.Conv2d(in, out, 1, stride)`); its output must match the layers' output.
// Errors name the field: `layers[5].layers[1].filters`, `layers[5].shortcut.stride`.

import type { ResolvedConv2d, ResolvedLayer, Site, TensorShape } from './describe.js';
import type { InitName } from './spec.js';
import { shapeSize, type Shape } from './shape.js';
import { isRecord, needImage, onlyFields, optionalBool, size2, SpecError } from './spec-fields.js';

/** describe.ts's resolveLayers, passed in (describe.ts imports this file, through resolve-layer.ts). */
export type ResolveLayers = (raw: unknown, field: string, path: number[], inShape: Shape, initAfter: InitName) => ResolvedLayer[];

export function resolveResidual(
  raw: Record<string, unknown>,
  site: Site,
  inShape: Shape,
  initAfter: InitName,
  resolveLayers: ResolveLayers,
): ResolvedLayer {
  const { at, path } = site;
  const layers = resolveLayers(raw.layers, `${at}.layers`, path, inShape, initAfter);
  const outShape = layers[layers.length - 1]!.outShape;
  let shortcut: ResolvedConv2d | null = null;
  if (raw.shortcut === undefined) {
    if (!sameShape(inShape, outShape)) {
      throw new SpecError(
        `${at}.shortcut`,
        `is needed: the block's layers turn [${inShape.join(', ')}] into [${outShape.join(', ')}], so x cannot be added ` +
          'to their output (add "shortcut": { "stride": s }, a 1x1 conv2d to the new channels, or keep the shape)',
      );
    }
  } else {
    shortcut = resolveShortcut(raw.shortcut, site, inShape, outShape, initAfter, resolveLayers);
  }
  const tensors: TensorShape[] = layers.flatMap((l) => l.tensors.map((t) => ({ name: `layers.${l.index}.${t.name}`, shape: t.shape })));
  if (shortcut) tensors.push(...shortcut.tensors.map((t) => ({ name: `shortcut.${t.name}`, shape: t.shape })));
  const inner = [...layers, ...(shortcut ? [shortcut] : [])];
  return {
    index: site.index,
    path,
    inShape,
    outShape,
    tensors,
    type: 'residual',
    layers,
    shortcut,
    params: inner.reduce((s, l) => s + l.params, 0),
    flops: inner.reduce((s, l) => s + l.flops, 0) + shapeSize(outShape),
  };
}

function resolveShortcut(
  raw: unknown,
  site: Site,
  inShape: Shape,
  outShape: Shape,
  initAfter: InitName,
  resolveLayers: ResolveLayers,
): ResolvedConv2d {
  const at = `${site.at}.shortcut`;
  if (!isRecord(raw)) throw new SpecError(at, 'must be an object { stride?, useBias? }');
  onlyFields(raw, ['stride', 'useBias'], at, 'a shortcut (a 1x1 conv2d: stride, useBias)');
  const [, h, w] = needImage(inShape, at, 'a shortcut');
  const [outC, outH, outW] = needImage(outShape, at, "a shortcut (the block's layers must output [C, H, W])");
  const stride = raw.stride === undefined ? ([1, 1] as [number, number]) : size2(raw.stride, `${at}.stride`);
  const useBias = optionalBool(raw.useBias, `${at}.useBias`, true);
  const gives = [outC, Math.floor((h - 1) / stride[0]) + 1, Math.floor((w - 1) / stride[1]) + 1];
  if (gives[1] !== outH || gives[2] !== outW) {
    throw new SpecError(
      raw.stride === undefined ? at : `${at}.stride`,
      `stride [${stride.join(', ')}] turns [${inShape.join(', ')}] into [${gives.join(', ')}], but the block's layers ` +
        `give [${outShape.join(', ')}]`,
    );
  }
  // The shortcut is the conv2d PyTorch would hold; its fields were checked above, so this cannot throw.
  const conv = { type: 'conv2d', filters: outC, kernelSize: 1, stride, useBias };
  const [resolved] = resolveLayers([conv], at, site.path, inShape, initAfter);
  return { ...(resolved as ResolvedConv2d), path: [...site.path, -1] }; // -1: not one of the block's layers
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
