import { assertEquals, assertRejects } from "@std/assert";
import { parseStudyCommand } from "../../tasks/_study_command.ts";

Deno.test("parseStudyCommand() takes --model-options per model, each of that model's options", async () => {
  const parse = (value: string) => parseStudyCommand(["--data", "/data", "--no-cache", "--model-options", value]);
  await assertRejects(
    () => parse('{"gru":{"temporalFilters":4}}'),
    TypeError,
    'Cannot build gru: unknown option "temporalFilters"',
  );
  await assertRejects(() => parse('{"cnn":3}'), TypeError, "options must be an object");
  const command = await parse('{"gru":{"units":8}}');
  if (command.help) throw new Error("unexpected help");
  assertEquals(command.settings.modelOptions.gru, { units: 8 });
});
