import { expect, test, type Page } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DEMO_PASSWORD, signedIn } from "./fixtures";

const DECODER = resolve(__dirname, "../../checkers/decode_qr.py");

/** The badge code of a demo guest, read from the badge PNG by the independent QR decoder. */
async function badgeCode(organiser: Page, guest: string): Promise<string> {
  await organiser.goto("/organise/heidelberg-2027/badges");
  const badge = organiser.locator("article.badge", { hasText: guest });
  const ticket = await badge.getAttribute("data-ticket");
  const printed = (await badge.locator(".badge-code code").textContent())?.trim() ?? "";
  const png = await organiser.request.get(`/tickets/${ticket}/badge.png`);
  expect(png.status()).toBe(200);
  const file = join(mkdtempSync(join(tmpdir(), "exx-badge-")), "badge.png");
  writeFileSync(file, await png.body());
  const decoded = execFileSync("python3", [DECODER, file], { encoding: "utf8" }).trim().split("\t").pop() ?? "";
  expect(decoded).toBe(printed);
  return decoded;
}

async function scan(page: Page, code: string) {
  const field = page.getByLabel("Scan or type a badge code");
  // A handheld scanner types the code and presses Enter.
  await field.fill(code);
  await field.press("Enter");
}

test("door staff check in a demo badge with a handheld scanner, then see it was already used", async ({ browser }) => {
  const organiser = await signedIn(browser, "organiser.biorn@eventxchange.test");
  const lena = await badgeCode(organiser, "Lena Hoffmann");
  const pieter = await badgeCode(organiser, "Pieter Claes");

  const door = await signedIn(browser, "scanner.heidelberg@eventxchange.test");
  await door.goto("/scan/heidelberg-2027");
  await expect(door.locator("body")).toHaveAttribute("data-hydrated", "true");
  await expect(door.getByLabel("Check-in list")).toHaveValue(/\d+/);
  // The offline copy of the ticket list arrives in the background.
  await expect(door.getByText(/tickets on this device/)).toBeVisible();

  await scan(door, lena);
  const verdict = door.locator(".verdict");
  await expect(verdict.locator(".verdict-headline")).toHaveText("VALID");
  await expect(verdict).toContainText("Lena Hoffmann");
  await expect(verdict).toHaveClass(/verdict-go/);

  await scan(door, lena);
  await expect(verdict.locator(".verdict-headline")).toHaveText("ALREADY CHECKED IN");
  await expect(verdict).toContainText("Main entrance");

  // A forged code is refused.
  await scan(door, lena.slice(0, -4) + (lena.endsWith("AAAA") ? "BBBB" : "AAAA"));
  await expect(verdict.locator(".verdict-headline")).toHaveText("UNKNOWN OR FORGED");

  // The Wi-Fi drops: the scan is judged on the device and queued, then sent when it is back.
  await door.context().setOffline(true);
  await scan(door, pieter);
  await expect(verdict.locator(".verdict-headline")).toHaveText("VALID");
  await expect(verdict).toContainText("Decided offline");
  await expect(door.locator(".scanner-status")).toContainText("Offline, 1 queued");
  await scan(door, pieter);
  await expect(verdict.locator(".verdict-headline")).toHaveText("ALREADY CHECKED IN");
  await door.context().setOffline(false);
  await expect(door.locator(".scanner-status")).not.toContainText("queued", { timeout: 20_000 });
  await expect(door.locator(".scanner-status")).toContainText("Online");

  // The server has the offline entry: the organisers' live counts show both guests in.
  await organiser.goto("/organise/heidelberg-2027/checkin");
  const entrance = organiser.locator("tr", { hasText: "Main entrance" });
  await expect(entrance.locator(".count-checked-in")).toHaveText("2");
});

test("a server fault does not lose a scan: it is judged on the device and sent later", async ({ browser }) => {
  const organiser = await signedIn(browser, "organiser.biorn@eventxchange.test");
  const mette = await badgeCode(organiser, "Mette Sørensen");
  const door = await signedIn(browser, "scanner.heidelberg@eventxchange.test");
  await door.goto("/scan/heidelberg-2027");
  await expect(door.locator("body")).toHaveAttribute("data-hydrated", "true");
  await expect(door.getByText(/tickets on this device/)).toBeVisible();
  await door.getByLabel("Check-in list").selectOption({ label: "Plenary hall" });
  await expect(door.getByText(/tickets on this device/)).toBeVisible();

  // The database is down: the server answers every scan with a fault.
  await door.route("**/api/scan_badge", (route) =>
    route.fulfill({ status: 500, contentType: "application/json", body: JSON.stringify("Internal") }),
  );
  await scan(door, mette);
  const verdict = door.locator(".verdict");
  await expect(verdict.locator(".verdict-headline")).not.toHaveText("");
  await expect(verdict).toContainText("Decided offline");
  await expect(door.locator(".scanner-status")).toContainText("1 queued");

  // The server recovers: the queued scan reaches it.
  await door.unroute("**/api/scan_badge");
  await expect(door.locator(".scanner-status")).not.toContainText("queued", { timeout: 20_000 });
});

test("the scanner reads a badge through the phone camera", async ({ browser, playwright, baseURL }) => {
  const organiser = await signedIn(browser, "organiser.biorn@eventxchange.test");
  const andres = await badgeCode(organiser, "Andres Kuusk");
  const ticket = await organiser.locator("article.badge", { hasText: "Andres Kuusk" }).getAttribute("data-ticket");
  const png = await organiser.request.get(`/tickets/${ticket}/badge.png`);
  const dir = mkdtempSync(join(tmpdir(), "exx-camera-"));
  writeFileSync(join(dir, "badge.png"), await png.body());
  // Chromium's fake camera plays a Y4M file: the badge's QR code on a white 640x480 frame.
  execFileSync("python3", [
    "-c",
    `
import sys
from PIL import Image
frame = Image.new("L", (640, 480), 255)
code = Image.open(sys.argv[1]).convert("L")
code.thumbnail((440, 440))
frame.paste(code, ((640 - code.width) // 2, (480 - code.height) // 2))
with open(sys.argv[2], "wb") as out:
    out.write(b"YUV4MPEG2 W640 H480 F5:1 Ip A1:1 C420jpeg\\n")
    for _ in range(5):
        out.write(b"FRAME\\n" + frame.tobytes() + bytes([128]) * (320 * 240 * 2))
`,
    join(dir, "badge.png"),
    join(dir, "badge.y4m"),
  ]);

  const camera = await playwright.chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--use-fake-ui-for-media-stream",
      "--use-fake-device-for-media-stream",
      `--use-file-for-fake-video-capture=${join(dir, "badge.y4m")}`,
    ],
  });
  try {
    const context = await camera.newContext({ baseURL, permissions: ["camera"] });
    const door = await context.newPage();
    await door.goto("/signin");
    await expect(door.locator("body")).toHaveAttribute("data-hydrated", "true");
    await door.getByLabel("Email address").fill("scanner.heidelberg@eventxchange.test");
    await door.locator("#field-password").fill(DEMO_PASSWORD);
    await door.getByRole("button", { name: "Sign in" }).click();
    await expect(door.getByRole("button", { name: "Sign out" })).toBeVisible();
    await door.goto("/scan/heidelberg-2027");
    await expect(door.locator("body")).toHaveAttribute("data-hydrated", "true");
    await door.getByRole("button", { name: "Scan with the camera" }).click();
    const verdict = door.locator(".verdict");
    await expect(verdict.locator(".verdict-headline")).toHaveText("VALID", { timeout: 20_000 });
    await expect(verdict).toContainText("Andres Kuusk");
    expect(andres.startsWith("EXX1.")).toBe(true);
  } finally {
    await camera.close();
  }
});

/** The keys of the scanners' offline lists kept in the page's localStorage. */
async function keptLists(page: Page): Promise<string[]> {
  return page.evaluate(() => Object.keys(localStorage).filter((key) => key.startsWith("exx-scan-") && key.includes("-list-")));
}

test("a scanner's copy of the attendee list leaves the device with the session and after the event", async ({ browser }) => {
  const door = await signedIn(browser, "scanner.heidelberg@eventxchange.test");
  await door.goto("/scan/heidelberg-2027");
  await expect(door.locator("body")).toHaveAttribute("data-hydrated", "true");
  await expect(door.getByText(/tickets on this device/)).toBeVisible();
  const [kept] = await keptLists(door);
  expect(kept).toBeTruthy();
  const copy = JSON.parse((await door.evaluate((key) => localStorage.getItem(key), kept)) ?? "{}");
  // People who may not enter are kept without a name.
  for (const ticket of copy.tickets) {
    if (!ticket.confirmed) expect(ticket.name ?? "").toBe("");
  }
  expect(copy.keep_until).toBeGreaterThan(Date.now() / 1000);

  // A copy whose event is over goes at the next page load.
  await door.evaluate(
    ([key, stale]) => localStorage.setItem(key, stale),
    [kept.replace(/-list-\d+$/, "-list-999999"), JSON.stringify({ ...copy, list_id: 999999, keep_until: 1 })],
  );
  expect(await keptLists(door)).toHaveLength(2);
  await door.goto("/account");
  await expect(door.locator("body")).toHaveAttribute("data-hydrated", "true");
  await expect.poll(() => keptLists(door)).toEqual([kept]);

  // Signing out takes every copy with it.
  await door.getByRole("button", { name: "Sign out" }).click();
  await expect(door.getByRole("link", { name: "Sign in" })).toBeVisible();
  await expect.poll(() => keptLists(door)).toEqual([]);
});
