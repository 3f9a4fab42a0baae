// The integration suite, in the form @vscode/test-electron runs: run() is called inside a real
// extension host (here code-server's, see ../runInCodeServer.ts) and runs mocha. A window whose
// display language is Simplified Chinese runs the zh-cn suite (the strings a user reads there).

import Mocha from "mocha";
import { join } from "node:path";
import * as vscode from "vscode";

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: "bdd", timeout: 120_000, color: false, reporter: "spec" });
  // RNN_LAB_SUITE=<name> runs suite/<name>.test.js alone (runInCodeServer.ts then skips the rest)
  const only = process.env.RNN_LAB_SUITE;
  if (only) mocha.addFile(join(__dirname, `${only}.test.js`));
  else {
    mocha.addFile(join(__dirname, vscode.env.language === "zh-cn" ? "extension.zh-cn.test.js" : "extension.test.js"));
    if (vscode.env.language !== "zh-cn") mocha.addFile(join(__dirname, "forecast.test.js")); // forecasting a CSV (issue 16)
    if (vscode.env.language !== "zh-cn") mocha.addFile(join(__dirname, "textTasks.test.js")); // classify, tag, segment (issue 15)
  }
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures ? reject(new Error(`${failures} integration test(s) failed`)) : resolve()));
  });
}
