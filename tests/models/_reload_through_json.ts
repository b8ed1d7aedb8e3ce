import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";

/**
 * `model` saved to memory, its topology passed through JSON (as a `model.json` on disk would be),
 * and loaded again: the round trip of the save/load tests.
 */
export async function reloadThroughJson(model: tfl.LayersModel): Promise<tfl.LayersModel> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler((artifacts) => {
    saved = artifacts;
    return Promise.resolve({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } });
  }));
  if (saved === undefined) throw new Error("model.save() handed no artifacts to the save handler");
  saved.modelTopology = JSON.parse(JSON.stringify(saved.modelTopology));
  return await tfl.loadLayersModel(tf.io.fromMemory(saved));
}
