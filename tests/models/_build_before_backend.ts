// A user script that builds a model before choosing a backend: run as its own process by
// registry_backend_test.ts (a fresh tfjs, where the wasm backend is registered but not ready).
import { buildModel } from "../../mod.ts";

try {
  buildModel("cnn", { nChans: 8, nTimes: 64 }, 4);
  console.log("built");
} catch (error) {
  console.log(`error: ${(error as Error).message}`);
}
