// Type-level drift check between the HTTP schema (src/contracts/model.ts) and the engine's spec
// types (src/engine/spec.ts). Compiled (not run) by spec-types.test.ts; `import type` only, so the
// contracts never load the engine at runtime.
import type { Static } from 'typebox';
import type { AugmentSchema } from '../../src/contracts/augment.js';
import type { LayerSpecSchema, ModelSpecSchema, PresetNameSchema } from '../../src/contracts/model.js';
import type { AugmentSpec as EngineAugment } from '../../src/engine/augment.js';
import type { PresetName as EnginePreset } from '../../src/engine/presets.js';
import type { LayerSpec as EngineLayer, ModelSpec as EngineModel } from '../../src/engine/spec.js';

type ContractModel = Static<typeof ModelSpecSchema>;
type ContractLayer = Static<typeof LayerSpecSchema>;

type Assignable<A, B> = [A] extends [B] ? true : false;
type Mutual<A, B> = Assignable<A, B> extends true ? Assignable<B, A> : false;
type SameKeys<A, B> = Mutual<keyof A, keyof B>;
/** Each variant of one union against the variant(s) of the other with the same `type` tag(s). */
type Variants<From extends { type: string }, To extends { type: string }> = From extends unknown
  ? Extract<To, { type: From['type'] }> extends infer Match
    ? SameKeys<From, Match> extends true
      ? Mutual<From, Match>
      : false
    : false
  : never;

function assertTrue<T extends true>(_witness?: T): void {}

assertTrue<Mutual<ContractModel, EngineModel>>();
assertTrue<Mutual<ContractLayer, EngineLayer>>();
assertTrue<SameKeys<ContractModel, EngineModel>>();
assertTrue<Mutual<ContractLayer['type'], EngineLayer['type']>>();
// Per variant: same keys and mutually assignable (catches an optional field added on one side only).
assertTrue<Variants<EngineLayer, ContractLayer>>();
assertTrue<Variants<ContractLayer, EngineLayer>>();
// Presets the API accepts are exactly the engine's.
assertTrue<Mutual<Static<typeof PresetNameSchema>, EnginePreset>>();
// training.augment is the engine's AugmentSpec, field for field.
type ContractAugment = Static<typeof AugmentSchema>;
type Erasing<T extends { randomErasing?: unknown }> = NonNullable<T['randomErasing']>;
assertTrue<Mutual<ContractAugment, EngineAugment>>();
assertTrue<SameKeys<ContractAugment, EngineAugment>>();
assertTrue<SameKeys<Erasing<ContractAugment>, Erasing<EngineAugment>>>();
assertTrue<SameKeys<NonNullable<ContractAugment['randomCrop']>, NonNullable<EngineAugment['randomCrop']>>>();
