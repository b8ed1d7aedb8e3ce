import { assertThrows } from "@std/assert";
import { planPreprocess, type PreprocessStep } from "../../pipeline/preprocess.ts";

Deno.test("planPreprocess() refuses an unknown key of a step, naming the step and its known keys", () => {
  const steps = (window: object) => [{ op: "resample", toHz: 125 }, window] as PreprocessStep[];
  assertThrows(
    () => planPreprocess(steps({ op: "window", windowSecond: 2 })),
    TypeError,
    'Cannot preprocess: step 1 (window): unknown option "windowSecond"; known options: op, windowSeconds, strideSeconds',
  );
  assertThrows(
    () => planPreprocess([{ op: "resample", to: 100 }, { op: "window", windowSeconds: 2 }] as PreprocessStep[]),
    TypeError,
    'step 0 (resample): unknown option "to"',
  );
  assertThrows(
    () => planPreprocess(steps({ op: "window", windowSeconds: "2" })),
    TypeError,
    '"windowSeconds" must be a number',
  );
});
