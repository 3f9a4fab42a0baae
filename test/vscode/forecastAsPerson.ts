// Forecasting as a person does it in code-server (issue 16): the bundled example CSV opened from the
// quick open, "RNN Lab: Show Forecast Baselines for This File" from the command palette, Enter on the
// first column of the quick pick, the forecast panel drawn; then a hover over a row of the table.
// Screenshots in .test-output/vscode/forecast-*.png.

import { copyFileSync } from "node:fs";
import { join } from "node:path";
import type { Frame, Page } from "playwright-core";

interface Kit {
  root: string;
  shots: string;
  fromCommandPalette: (page: Page, title: string) => Promise<void>;
  panelFrame: (page: Page, selector: string) => Promise<Frame | null>;
}

export async function forecastAsPerson(page: Page, ws: string, kit: Kit): Promise<string[]> {
  const problems: string[] = [];
  copyFileSync(join(kit.root, "media", "examples", "daily-load.csv"), join(ws, "daily-load.csv"));
  try {
    // Quick Open, as a person would; a file copied in a moment ago can miss code-server's file search
    // ("No matching results") until it looks again, so a person closes it and asks again
    for (let attempt = 1; ; attempt++) {
      await page.keyboard.press("Escape");
      await page.keyboard.press("Control+P");
      await page.waitForSelector(".quick-input-widget input");
      await page.keyboard.type("daily-load.csv");
      try {
        await page.waitForFunction(() => Array.from(document.querySelectorAll(".quick-input-list .monaco-list-row")).some((e) => (e.textContent ?? "").includes("daily-load.csv")), undefined, { timeout: 10_000 });
        break;
      } catch (e) {
        if (attempt === 3) throw e;
      }
    }
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => Array.from(document.querySelectorAll(".monaco-editor .view-line")).some((e) => /date,load,temperature/.test(e.textContent ?? "")), undefined, { timeout: 20_000 });
    await kit.fromCommandPalette(page, "RNN Lab: Show Forecast Baselines for This File");
    await page.waitForFunction(() => Array.from(document.querySelectorAll(".quick-input-list .monaco-list-row")).some((e) => /load/.test(e.textContent ?? "") && /missing/.test(e.textContent ?? "")), undefined, { timeout: 30_000 });
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(kit.shots, "forecast-column-pick.png") });
    await page.keyboard.press("Enter");
    const frame = await kit.panelFrame(page, "#series-chart");
    if (!frame) throw new Error("no forecast panel in any webview");
    await frame.waitForFunction(() => (document.querySelector("#overall")?.querySelectorAll("tr").length ?? 0) > 1, undefined, { timeout: 30_000 });
    await page.waitForTimeout(800);
    await page.screenshot({ path: join(kit.shots, "forecast-panel.png") });
  } catch (e) {
    problems.push(`the forecast panel did not draw: ${(e as Error).message.split("\n")[0]}`);
    await page.screenshot({ path: join(kit.shots, "forecast-panel-missing.png") });
  }
  try {
    // back in the table: the cursor on a row, and the hover at the cursor (Ctrl+K Ctrl+I)
    await page.locator(".monaco-editor .view-line", { hasText: "2020-01-08,121.74" }).first().click();
    await page.keyboard.press("End");
    await page.keyboard.press("Control+K");
    await page.keyboard.press("Control+I");
    await page.waitForFunction(() => Array.from(document.querySelectorAll(".monaco-hover-content")).some((e) => /forecast of load from row/.test(e.textContent ?? "")), undefined, { timeout: 20_000 });
    await page.waitForTimeout(600);
    await page.screenshot({ path: join(kit.shots, "forecast-hover.png") });
  } catch (e) {
    problems.push(`no forecast hover over a row of the CSV: ${(e as Error).message.split("\n")[0]}`);
    await page.screenshot({ path: join(kit.shots, "forecast-hover-missing.png") });
  }
  return problems;
}
