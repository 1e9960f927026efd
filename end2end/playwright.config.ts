import { defineConfig } from "@playwright/test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

// Each run starts the built server on its own port with a fresh SQLite database holding the
// demo series. scripts/test.sh builds it, says where it is, and runs each spec file on its own,
// so every file starts from the demo data alone.
const port = Number(process.env.EXX_E2E_PORT ?? 3107);
const server = process.env.EXX_SERVER_BIN ?? resolve(__dirname, "../target/debug/server");
const siteRoot = process.env.EXX_SITE_ROOT ?? resolve(__dirname, "../target/site");
const dataDir = mkdtempSync(join(tmpdir(), "exx-e2e-"));

export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      // Chromium's own background traffic is refused on a closed network; keep it quiet.
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  webServer: {
    command: `${server} serve`,
    url: `http://127.0.0.1:${port}/health`,
    reuseExistingServer: false,
    timeout: 60_000,
    env: {
      DATABASE_URL: `sqlite:${join(dataDir, "e2e.db")}`,
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: siteRoot,
      EXX_DEMO: "true",
      RUST_LOG: "warn",
    },
  },
});
