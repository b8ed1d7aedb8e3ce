import { assertEquals } from "@std/assert";
import { join } from "node:path";
import { mergeTrialsTables } from "../../tune/merge_trials_tables.ts";
import type { TrialRow } from "../../tune/trial_row.ts";
import { readTrialsTable, rowsOfTable, trialsTable, writeTrialsTable } from "../../tune/trials_table.ts";

function row(
  trial: string,
  values: Record<string, unknown>,
  status: TrialRow["status"],
  score: number | null,
): TrialRow {
  return {
    trial,
    stage: 0,
    values,
    epochs: 2,
    valWindowAccuracy: score,
    valRecordingAccuracy: score,
    trainWindowAccuracy: score === null ? null : 0.9,
    trainRecordingAccuracy: score === null ? null : 1,
    epochsRun: score === null ? null : 2,
    bestEpoch: score === null ? null : 2,
    seconds: score === null ? null : 5,
    status,
    error: status === "failed" ? "RangeError: bad" : null,
  };
}

Deno.test("writeTrialsTable() writes CSV and JSON that read back to the same rows", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const rows = [
      row("t1", { lr: 0.001, act: "elu" }, "done", 0.5),
      row("t2", { lr: 0.01, act: "relu" }, "failed", null),
    ];
    const table = trialsTable(rows, ["lr", "act"]);
    await writeTrialsTable(dir, table);
    const csv = (await Deno.readTextFile(join(dir, "trials.csv"))).split("\n");
    assertEquals(
      csv[0],
      "trial,stage,lr,act,epochs,valWindowAccuracy,valRecordingAccuracy,trainWindowAccuracy,trainRecordingAccuracy,epochsRun,bestEpoch,seconds,status,error",
    );
    assertEquals(csv[1], "t1,0,0.001,elu,2,0.5,0.5,0.9,1,2,2,5,done,");
    const back = await readTrialsTable(dir);
    assertEquals(back.objects(), table.objects());
    assertEquals(rowsOfTable(back), rows);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mergeTrialsTables() unites tables from several folders, keeping finished rows", () => {
  const a = trialsTable([row("t1", { lr: 0.1 }, "pending", null), row("t2", { lr: 0.2 }, "done", 0.4)]);
  const b = trialsTable([row("t1", { lr: 0.1 }, "done", 0.6), row("t3", { units: 8 }, "done", 0.7)]);
  const merged = mergeTrialsTables([a, b]);
  assertEquals(merged.numRows(), 3);
  assertEquals(merged.array("trial"), ["t2", "t1", "t3"]);
  assertEquals(merged.array("valWindowAccuracy"), [0.4, 0.6, 0.7]);
  assertEquals(merged.columnNames().slice(0, 4), ["trial", "stage", "lr", "units"]);
  assertEquals(merged.array("units"), [null, null, 8]);
  assertEquals(mergeTrialsTables([b, b]).numRows(), 2);
});
