// The integration suite, in the form @vscode/test-electron runs: run() is called inside a real
// extension host (here code-server's, see ../runInCodeServer.ts) and runs mocha. A window whose
// display language is Simplified Chinese runs the zh-cn suite (the strings a user reads there).

import Mocha from "mocha";
import { join } from "node:path";
import * as vscode from "vscode";

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: "bdd", timeout: 120_000, color: false, reporter: "spec" });
  const files = vscode.env.language === "zh-cn" ? ["extension.zh-cn.test.js"]
    // forecasting a CSV (issue 16); every cell variant's heatmap (issue 17); classify, tag, segment (issue 15)
    : ["extension.test.js", "forecast.test.js", "cells.test.js", "textTasks.test.js"];
  // RNN_LAB_SUITE=cells (runInCodeServer.ts passes it on): only the files whose name starts with it
  const only = process.env.RNN_LAB_SUITE;
  // (the zh-cn window has its one file: RNN_LAB_SUITE=zh-cn runs only that window)
  for (const f of files) if (!only || vscode.env.language === "zh-cn" || f.startsWith(only)) mocha.addFile(join(__dirname, f));
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures ? reject(new Error(`${failures} integration test(s) failed`)) : resolve()));
  });
}
