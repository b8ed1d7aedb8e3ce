import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { assert, assertEquals, assertStrictEquals } from "@std/assert";

/**
 * Asserts that `cls` is registered for serialisation under its className and that the
 * registered factory rebuilds `layer` from `getConfig()` with an identical config.
 */
export function assertConfigRoundTrip(cls: { className: string }, layer: tfl.layers.Layer): void {
  const registered = tf.serialization.SerializationMap.getMap().classNameMap[cls.className];
  assert(registered !== undefined, `${cls.className} is not registered`);
  const [ctor, fromConfig] = registered;
  assertStrictEquals(ctor as unknown, cls);
  const config = layer.getConfig();
  const copy = fromConfig(ctor, config) as tfl.layers.Layer;
  assertStrictEquals(copy.constructor as unknown, cls);
  assertEquals(copy.getConfig(), config);
}
