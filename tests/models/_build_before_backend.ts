// A user script that builds a model before choosing a backend: run as its own process by
// registry_backend_test.ts (a fresh tfjs, where the wasm backend is registered but not ready).
import { buildModel } from "../../mod.ts";

for (const name of ["cnn", "gru", "vivit", "spectral", "cascade", "tsa"]) {
  try {
    buildModel(name, { nChans: 8, nTimes: 64, gridRows: 4, gridCols: 2 }, 4);
    console.log(`built ${name}`);
  } catch (error) {
    console.log(`error: ${(error as Error).message}`);
  }
}
